import { build, type Builder, type DType, emptyGraph, type Graph, type GraphError, type NodeId } from '@backprop/graph'
import { grad } from '@backprop/diff'
import * as E from 'fp-ts/lib/Either.js'
import { activate } from '../activations.js'
import type { LayerNodes } from '../layered.js'
import { lossOf } from '../losses.js'
import type { Reduction } from '../spec.js'
import { type FeedForwardLayout, layoutOf, type UnitGroup } from './layout.js'
import { buildProblem, type FeedForwardBuild, type FeedForwardSpec, validateFeedForward } from './spec.js'

/**
 * A general feed-forward network as a graph. Inputs are named `x`
 * (`[M, D]`) and `t` (`[M, K]`); parameters are one weight block per pair of
 * connected groups and one bias per group (see {@link FeedForwardLayout}).
 *
 * @category General networks
 */
export interface FeedForwardNetwork {
  /** The forward graph. */
  readonly graph: Graph
  /** The validated spec. */
  readonly spec: FeedForwardSpec
  /** Batch size, reduction and dtype the graph was built for. */
  readonly batch: number
  /** How samples combine. */
  readonly reduction: Reduction
  /** The element type. */
  readonly dtype: DType
  /** How units are grouped into tensors. */
  readonly layout: FeedForwardLayout
  /** The input node `x`, `[M, D]`. */
  readonly x: NodeId
  /** The target node `t`, `[M, K]`. */
  readonly t: NodeId
  /** Each group's pre-activations a, `[M, n_g]` (group 1 first); dE/da is the group's delta. */
  readonly preActivations: readonly NodeId[]
  /** Each group's values z = h(a), `[M, n_g]`. */
  readonly activations: readonly NodeId[]
  /** Parameter nodes by name (weight blocks and biases). */
  readonly params: Readonly<Record<string, NodeId>>
  /** The outputs y, `[M, K]`, columns in the order of `spec.outputs`. */
  readonly outputs: NodeId
  /** The scalar loss E. */
  readonly loss: NodeId
  /** Parameter names in layout order. */
  readonly paramNames: readonly string[]
  /** Each group's pre-activations and weight blocks, for per-group statistics while training. */
  readonly layers: readonly LayerNodes[]
}

/** The 0/1 matrix `[from.length, K]` that puts a group's columns at their places among the K outputs. */
const placement = (members: readonly number[], outputs: readonly number[]): number[] => {
  const K = outputs.length
  const p = new Array<number>(members.length * K).fill(0)
  members.forEach((u, r) => (p[r * K + outputs.indexOf(u)] = 1))
  return p
}

const inOrder = (group: UnitGroup, outputs: readonly number[]): boolean =>
  group.units.length === outputs.length && group.units.every((u, k) => u === outputs[k])

/**
 * Appends a general network for a validated spec to the graph being built:
 * for each group, `a = sum over source groups s of z_s (W ⊙ mask)^T + b` and
 * `z = h(a)`, then y and the loss. Output groups with different activations
 * are placed into y's columns by products with constant 0/1 matrices, and
 * the loss is the sum of each group's loss (matched pairs in their stable
 * forms, as {@link lossOf}).
 *
 * @category General networks
 */
export const feedForwardInto = (
  b: Builder,
  spec: FeedForwardSpec,
  options: { readonly batch: number; readonly reduction: Reduction; readonly dtype: DType },
): Omit<FeedForwardNetwork, 'graph'> => {
  const { batch, reduction, dtype } = options
  const layout = layoutOf(spec)
  const K = spec.outputs.length
  const x = b.input('x', [batch, spec.inputs], dtype)
  const t = b.input('t', [batch, K], dtype)
  const params: Record<string, NodeId> = {}
  const zs: NodeId[] = [x]
  const preActivations: NodeId[] = []
  for (const g of layout.groups) {
    const n = g.units.length
    let a: NodeId | undefined
    for (const block of g.blocks) {
      const W = (params[block.name] = b.param(block.name, [block.rows, block.cols], dtype))
      // Only the spec's edges count: entries off the mask get no gradient and stay 0.
      const used = block.mask ? b.mul(W, b.constant(block.mask, [block.rows, block.cols], dtype)) : W
      const term = b.matmul(zs[block.source]!, b.transpose(used))
      a = a === undefined ? term : b.add(a, term)
    }
    const bias = (params[g.bias] = b.param(g.bias, [n], dtype))
    a = a === undefined ? b.broadcast(bias, [batch, n]) : b.add(a, bias)
    preActivations.push(a)
    zs.push(activate(b, a, g.activation))
  }
  const outputGroups = layout.groups.filter((g) => g.output)
  const lastZ = zs[zs.length - 1]!
  const single = outputGroups.length === 1 && inOrder(outputGroups[0]!, spec.outputs)
  let outputs: NodeId
  let loss: NodeId
  if (single) {
    outputs = lastZ
    loss = lossOf(b, { preActivation: preActivations[preActivations.length - 1]!, activation: outputGroups[0]!.activation, t, loss: spec.loss, reduction })
  } else {
    const parts = outputGroups.map((g) => {
      const P = b.constant(placement(g.units, spec.outputs), [g.units.length, K], dtype)
      const y = b.matmul(zs[g.group]!, P)
      const tg = b.matmul(t, b.transpose(P))
      const e = lossOf(b, { preActivation: preActivations[g.group - 1]!, activation: g.activation, t: tg, loss: spec.loss, reduction })
      return { y, e }
    })
    outputs = parts.slice(1).reduce((s, p) => b.add(s, p.y), parts[0]!.y)
    loss = parts.slice(1).reduce((s, p) => b.add(s, p.e), parts[0]!.e)
  }
  return {
    spec,
    batch,
    reduction,
    dtype,
    layout,
    x,
    t,
    preActivations,
    activations: zs.slice(1),
    params,
    outputs,
    loss,
    paramNames: layout.paramNames,
    layers: layout.groups.map((g, k) => ({ preActivation: preActivations[k]!, weights: g.blocks.map((bl) => params[bl.name]!) })),
  }
}

/**
 * Builds a general feed-forward network for `batch` samples, vectorised
 * over the samples (a few matrix products per group of units, not a node
 * per unit), or returns a one-line error naming the unit that is wrong.
 * Weights in the spec are not part of the graph: feed them as parameters
 * ({@link feedForwardParams}).
 *
 * @example
 * ```ts
 * const net = feedForward({ inputs: 2, units: [{ activation: 'tanh', in: [1, 2] },
 *   { activation: 'linear', in: [1, 3] }], outputs: [4], loss: 'sse', batch: 8 })
 * // Right(network): groups [unit 3], [unit 4]; parameters W1_0, b1, W2_0, W2_1, b2
 * ```
 * @category General networks
 */
export const feedForward = (spec: FeedForwardBuild): E.Either<GraphError, FeedForwardNetwork> => {
  const checked = validateFeedForward(spec)
  if (E.isLeft(checked)) return checked
  const problem = buildProblem(spec)
  if (problem) return E.left(problem)
  const options = { batch: spec.batch, reduction: spec.reduction ?? 'sum', dtype: spec.dtype ?? 'f64' } as const
  return E.map(({ graph, result }: { graph: Graph; result: Omit<FeedForwardNetwork, 'graph'> }) => ({ graph, ...result }))(
    build(emptyGraph, (b) => feedForwardInto(b, checked.right, options)),
  )
}

/**
 * The same network built for another batch size (parameter names, and so
 * values, are shared).
 *
 * @category General networks
 */
export const rebatchFeedForward = (net: FeedForwardNetwork, batch: number): E.Either<GraphError, FeedForwardNetwork> =>
  feedForward({ ...net.spec, batch, reduction: net.reduction, dtype: net.dtype })

/**
 * A general network's graph extended with the gradient of the loss with
 * respect to every parameter and every group's pre-activations (the deltas).
 *
 * @category General networks
 */
export interface FeedForwardGradients {
  /** The network's graph with the derivative nodes appended. */
  readonly graph: Graph
  /** dE/dp for each parameter, by name. */
  readonly gradients: Readonly<Record<string, NodeId>>
  /** dE/da for each group, `[M, n_g]`, group 1 first: the lecture's deltas. */
  readonly deltas: readonly NodeId[]
}

/**
 * Appends dE/dp for every parameter and dE/da for every group's
 * pre-activations, by symbolic differentiation of the loss.
 *
 * @category General networks
 */
export const feedForwardGradients = (net: FeedForwardNetwork): E.Either<GraphError, FeedForwardGradients> => {
  const names = net.paramNames
  const wrt = [...names.map((n) => net.params[n]!), ...net.preActivations]
  return E.map(({ graph, gradients }: { graph: Graph; gradients: readonly NodeId[] }) => ({
    graph,
    gradients: Object.fromEntries(names.map((n, k) => [n, gradients[k]!])),
    deltas: gradients.slice(names.length),
  }))(grad(net.graph, net.loss, wrt))
}
