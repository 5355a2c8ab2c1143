import type { ParamUpdate } from '@backprop/backend'
import { build, type DType, type Graph, inputsOf, type NodeId, paramsOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { configError, type TrainError } from './errors.js'
import type { GraphParam, Optimizer, StepInfo, UpdateInputs } from './optimizer.js'
import type { ParamSpec } from './params.js'

/** A per-step scalar input of an update graph. @internal */
export interface ScalarInput {
  /** The input's name in the graph, `__<key>` (primed should the model have that name). */
  readonly name: string
  /** The optimiser's key for it (see `UpdateNodes.scalars`). */
  readonly key: string
  /** Its dtype. */
  readonly dtype: DType
}

/**
 * A gradient graph with an optimiser's update appended: the new value of
 * every parameter and slot (`updates`), the inputs fed per step, the slots
 * (zero before the first step), and one check per parameter, `sum(0 * w')`
 * of its new value w': 0 when w' is finite everywhere, NaN otherwise, so a
 * step reports a broken update without returning the parameters.
 *
 * @internal
 */
export interface UpdateGraph {
  readonly graph: Graph
  readonly updates: readonly ParamUpdate[]
  readonly checks: readonly NodeId[]
  readonly scalars: readonly ScalarInput[]
  /** The scalars' values at a step, by key. */
  readonly values: (info: StepInfo) => Readonly<Record<string, number>>
  readonly slots: ReadonlyMap<string, ParamSpec>
}

/**
 * Appends the update of `optimizer` to `derived`, the graph of the loss's
 * gradients with respect to `params`. Names of the scalars and slots the
 * optimiser asks for are primed until no node of the model has them, since
 * they live beside the model's own inputs and parameters.
 *
 * @internal
 */
export const appendUpdate = (
  derived: Graph,
  params: readonly GraphParam[],
  specs: ReadonlyMap<string, ParamSpec>,
  optimizer: Optimizer,
): E.Either<TrainError, UpdateGraph> => {
  const taken = new Set([...inputsOf(derived).keys(), ...paramsOf(derived).keys()])
  const fresh = (name: string): string => {
    let free = name
    while (taken.has(free)) free += "'"
    taken.add(free)
    return free
  }
  const scalars: ScalarInput[] = []
  const slots = new Map<string, ParamSpec>()
  const slotNames = new Map<string, string>()
  const built = build(derived, (b) => {
    const inputs: UpdateInputs = {
      scalar: (key, dtype) => {
        const known = scalars.find((s) => s.key === key && s.dtype === dtype)
        if (known) return b.input(known.name, [], dtype)
        // One input per key, and one per dtype should a model mix them.
        const name = fresh(scalars.some((s) => s.key === key) ? `__${key}:${dtype}` : `__${key}`)
        scalars.push({ name, key, dtype })
        return b.input(name, [], dtype)
      },
      slot: (param, slot) => {
        const spec = specs.get(param)
        if (spec === undefined) throw new Error(`the optimiser asked for slot '${slot}' of '${param}', which is not a parameter`)
        const wanted = `${param}:${slot}`
        let name = slotNames.get(wanted)
        if (name === undefined) {
          name = fresh(wanted)
          slotNames.set(wanted, name)
          slots.set(name, spec)
        }
        return { name, node: b.param(name, spec.shape, spec.dtype) }
      },
    }
    const form = optimizer.append(b, params, inputs)
    const next = new Map(form.updates.map((u) => [u.param, u.value]))
    // 0 * w' is 0 for every finite w' and NaN for NaN and both infinities.
    const checks = params.map(({ name }) => {
      const value = next.get(name)
      if (value === undefined) throw new Error(`the ${optimizer.name} update graph gives no new value for '${name}'`)
      return b.sum(b.mul(b.scalar(0, b.node(value).dtype), value))
    })
    return { form, checks }
  })
  if (E.isLeft(built)) return E.left(configError(`cannot build the ${optimizer.name} update graph: ${built.left.message}`))
  const { form, checks } = built.right.result
  return E.right({ graph: built.right.graph, updates: form.updates, checks, scalars, values: (info) => form.scalars(info), slots })
}
