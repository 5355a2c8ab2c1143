import { type DType, type GraphError, graphError } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import type { ParamValue } from '../init.js'
import { normal, uniform } from '../random.js'
import type { HostTensor } from '../values.js'
import { type FeedForwardLayout, layoutOf } from './layout.js'
import { type FeedForwardSpec, type FeedForwardUnit, sourceOf, unitNumber, validateFeedForward, weightOf } from './spec.js'

// Between the spec's view of a general network (one weight per edge, one
// bias per unit) and the graph's (a weight block per pair of connected
// groups, a bias vector per group): each edge j -> i is the entry
// [column of i, column of j] of block W{group of i}_{group of j}.

/**
 * Options of {@link feedForwardParams}.
 *
 * @category General networks
 */
export interface FeedForwardInit {
  /** The seed for weights left out of the spec. */
  readonly seed: number
  /** Element type of the values; `f64` by default. */
  readonly dtype?: DType
}

/**
 * Where an edge's weight sits: the block's name and the flat index in it.
 * @internal
 */
const entryOf = (layout: FeedForwardLayout, unit: number, source: number): { name: string; index: number } => {
  const { group, column: row } = layout.places[unit]!
  const { group: s, column } = layout.places[source]!
  const block = layout.groups[group - 1]!.blocks.find((b) => b.source === s)!
  return { name: block.name, index: row * block.cols + column }
}

/**
 * The values of every parameter of a general network, keyed by the names
 * of its graph (`W{g}_{s}`, `b{g}`): weights and biases given in the spec
 * are used as they are; weights left out (`"in": [1, 3]`) are drawn from
 * the seed, in unit and edge order (He normal, variance 2 / fan-in, into
 * relu units; uniform with variance 1 / fan-in into the others), missing
 * biases are 0. Pairs of units without an edge hold 0.
 *
 * @example
 * ```ts
 * feedForwardParams({ inputs: 2, units: [{ activation: 'relu', in: [1, [2, 0.5]] }], outputs: [3], loss: 'sse' }, { seed: 1 })
 * // Right({ W1_0: [[<drawn>, 0.5]], b1: [0] })
 * ```
 * @category General networks
 */
export const feedForwardParams = (
  spec: FeedForwardSpec,
  options: FeedForwardInit,
): E.Either<GraphError, Record<string, ParamValue>> => {
  const checked = validateFeedForward(spec)
  if (E.isLeft(checked)) return checked
  if (!Number.isFinite(options.seed)) {
    return E.left(graphError('InvalidGraph', { path: 'seed', message: `net: seed is ${options.seed}; it must be a finite number` }))
  }
  const dtype = options.dtype ?? 'f64'
  const layout = layoutOf(spec)
  const out: Record<string, ParamValue> = {}
  const allocate = (n: number) => (dtype === 'f32' ? new Float32Array(n) : new Float64Array(n))
  for (const g of layout.groups) {
    for (const b of g.blocks) out[b.name] = { shape: [b.rows, b.cols], dtype, data: allocate(b.rows * b.cols) }
    out[g.bias] = { shape: [g.units.length], dtype, data: allocate(g.units.length) }
  }
  const next = uniform(options.seed)
  const gauss = normal(next)
  spec.units.forEach((unit, j) => {
    const i = unitNumber(spec, j)
    const fanIn = Math.max(1, unit.in.length)
    const draw = unit.activation === 'relu' ? () => Math.sqrt(2 / fanIn) * gauss() : () => Math.sqrt(3 / fanIn) * (2 * next() - 1)
    for (const e of unit.in) {
      const { name, index } = entryOf(layout, i, sourceOf(e))
      out[name]!.data[index] = weightOf(e) ?? draw()
    }
    const { group, column } = layout.places[i]!
    out[layout.groups[group - 1]!.bias]!.data[column] = unit.bias ?? 0
  })
  return E.right(out)
}

/**
 * Per-unit entries of tensors keyed by parameter name, in the spec's order
 * (`in` entries in the order of the unit's `in`): the weights w_ij and
 * biases b_i of parameter values, or dE/dw_ij and dE/db_i of gradients.
 *
 * @example
 * ```ts
 * unitValues(spec, { W1_0: dW, b1: db }) // [{ in: [dE/dw_31, dE/dw_32], bias: dE/db_3 }]
 * ```
 * @category General networks
 */
export const unitValues = (
  spec: FeedForwardSpec,
  tensors: Readonly<Record<string, HostTensor>>,
): { readonly in: number[]; readonly bias: number }[] => {
  const layout = layoutOf(spec)
  return spec.units.map((unit, j) => {
    const i = unitNumber(spec, j)
    const { group, column } = layout.places[i]!
    return {
      in: unit.in.map((e) => {
        const { name, index } = entryOf(layout, i, sourceOf(e))
        return tensors[name]!.data[index]!
      }),
      bias: tensors[layout.groups[group - 1]!.bias]!.data[column]!,
    }
  })
}

/**
 * The spec with every weight and bias taken from parameter values keyed by
 * name (e.g. after training), so it can be saved and read back.
 *
 * @category General networks
 */
export const withWeights = (spec: FeedForwardSpec, values: Readonly<Record<string, HostTensor>>): FeedForwardSpec => {
  const units = unitValues(spec, values)
  return {
    ...spec,
    units: spec.units.map(
      (unit, j): FeedForwardUnit => ({
        activation: unit.activation,
        bias: units[j]!.bias,
        in: unit.in.map((e, k) => [sourceOf(e), units[j]!.in[k]!] as const),
      }),
    ),
  }
}

/**
 * Each sample's delta of every unit, `[M, U]` rows in the spec's unit order,
 * from the groups' dE/da tensors (`[M, n_g]`, group 1 first).
 *
 * @category General networks
 */
export const unitDeltas = (spec: FeedForwardSpec, groupDeltas: readonly HostTensor[]): number[][] => {
  const layout = layoutOf(spec)
  const M = groupDeltas[0]?.shape[0] ?? 0
  return Array.from({ length: M }, (_, m) =>
    spec.units.map((_, j) => {
      const { group, column } = layout.places[unitNumber(spec, j)]!
      const d = groupDeltas[group - 1]!
      return d.data[m * d.shape[1]! + column]!
    }),
  )
}
