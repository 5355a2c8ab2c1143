import {
  build,
  type Builder,
  type Graph,
  type GraphError,
  graphError,
  fail,
  type NodeId,
  type Shape,
  orThrow,
  sameShape,
  showShape,
} from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { rules as defaultRules, type RuleTable } from './rules.js'

/**
 * Options of {@link grad}.
 *
 * @category Differentiation
 */
export interface GradOptions {
  /**
   * The upstream gradient dE/dE to start from. Defaults to ones of E's shape,
   * so a non-scalar E is differentiated as the sum of its elements; pass a
   * node to get a vector-Jacobian product.
   */
  readonly seed?: NodeId
  /** Derivative rules to use instead of the built-in ones (see {@link withRules}). */
  readonly rules?: RuleTable
}

/**
 * The result of differentiating: the appended graph, which has the original
 * graph as its prefix, and one gradient node per `wrt` node (with that
 * node's shape).
 *
 * @category Differentiation
 */
export interface Gradient {
  /** The original graph with the derivative nodes appended. */
  readonly graph: Graph
  /** dE/dv for each requested v, in the order asked. */
  readonly gradients: readonly NodeId[]
  /** Number of nodes of the original graph: ids below it are forward nodes. */
  readonly forwardSize: number
}

/**
 * Sums `g` (of a broadcast shape) back to `shape`, the shape of the operand
 * that was broadcast: leading axes are summed away, stretched axes summed
 * with keepdims. Broadcast reduction lives here once, never in the rules.
 */
const sumTo = (b: Builder, g: NodeId, shape: Shape): NodeId => {
  const from = b.node(g).shape
  if (from === shape || sameShape(from, shape)) return g
  const lead = from.length - shape.length
  const axes: number[] = []
  from.forEach((d, i) => {
    const target = i < lead ? undefined : shape[i - lead]
    if (target === undefined || (target === 1 && d !== 1)) axes.push(i)
  })
  if (lead < 0 || axes.some((a) => a >= lead && shape[a - lead] !== 1)) {
    fail(graphError('ShapeError', { op: 'grad', message: `grad: cannot sum ${showShape(from)} back to ${showShape(shape)}` }))
  }
  const summed = axes.length > 0 ? b.sum(g, axes, true) : g
  return b.reshape(summed, shape)
}

/**
 * The nodes on some path from a `wrt` node to `output`: exactly those whose
 * gradient is needed. Others contribute nothing and get no derivative nodes.
 */
const onPaths = (b: Builder, output: NodeId, wrt: readonly NodeId[]): Uint8Array => {
  const n = output + 1
  const fromWrt = new Uint8Array(n)
  for (const w of wrt) if (w < n) fromWrt[w] = 1
  for (let id = 0; id < n; id++) {
    if (fromWrt[id]) continue
    const { op, inputs } = b.node(id)
    if (op === 'stopGradient') continue
    for (let k = 0; k < inputs.length; k++) {
      if (fromWrt[inputs[k]!]) {
        fromWrt[id] = 1
        break
      }
    }
  }
  const needed = new Uint8Array(n)
  needed[output] = fromWrt[output]!
  for (let id = output; id >= 0; id--) {
    if (!needed[id]) continue
    const { inputs } = b.node(id)
    for (let k = 0; k < inputs.length; k++) if (fromWrt[inputs[k]!]) needed[inputs[k]!] = 1
  }
  return needed
}

/**
 * Appends to the graph being built the nodes computing dE/dv for each `wrt`
 * node v: the lecture's recursion dE/dv = sum over consumers v_i of v of
 * dE/dv_i * dv_i/dv, starting at dE/dE = 1 and walking the graph in reverse
 * topological order. Fan-in contributions are summed in a fixed order.
 * Use inside a build; {@link grad} is the stand-alone form.
 *
 * @category Differentiation
 */
export const gradInto = (
  b: Builder,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): NodeId[] => {
  const table = options.rules ?? defaultRules
  const needed = onPaths(b, output, wrt)
  const out = b.node(output)
  // Contributions to each node's gradient, in arrival order: the first in a
  // typed array (most nodes have one consumer), any others in a list.
  const first = new Int32Array(output + 1).fill(-1)
  const others = new Map<NodeId, NodeId[]>()
  const seed = options.seed ?? b.scalar(1, out.dtype, out.shape)
  if (needed[output]) first[output] = seed
  // dE/dv of the nodes visited, for the wrt nodes at the end.
  const total = new Int32Array(output + 1).fill(-1)

  for (let id = output; id >= 0; id--) {
    let g = first[id]!
    if (g < 0) continue
    const more = others.get(id)
    if (more !== undefined) {
      for (const p of more) g = b.add(g, p)
      others.delete(id)
    }
    total[id] = g
    const node = b.node(id)
    const { inputs } = node
    if (inputs.length === 0) continue
    const grads = table[node.op]({ b, g, y: id, node, x: inputs })
    for (let k = 0; k < inputs.length; k++) {
      const input = inputs[k]!
      const gk = grads[k]
      if (gk === undefined || !needed[input]) continue
      const part = sumTo(b, gk, b.node(input).shape)
      if (first[input]! < 0) first[input] = part
      else {
        const list = others.get(input)
        if (list === undefined) others.set(input, [part])
        else list.push(part)
      }
    }
  }
  return wrt.map((w) => {
    const g = w <= output ? total[w]! : -1
    if (g >= 0) return g
    const v = b.node(w)
    return b.scalar(0, v.dtype, v.shape) // symbolic zero: E does not depend on w
  })
}

/**
 * Symbol-to-symbol differentiation: returns `graph` with nodes appended that
 * compute dE/dv for each v in `wrt` (E = `output`). The original graph is an
 * unchanged prefix of the result, and since derivative nodes are ordinary
 * nodes, the result can be differentiated again.
 *
 * `wrt` may name any node, not only inputs and parameters: for an
 * intermediate node v the result is its adjoint dE/dv, summed over all of
 * v's consumers, e.g. a layer's pre-activations a give the lecture's deltas
 * dE/da. The walk computes these adjoints on its way to the inputs anyway,
 * so asking for them alongside the parameters adds no nodes.
 *
 * @example
 * ```ts
 * const { graph, result: [x, y] } = buildOrThrow(emptyGraph, (b) => {
 *   const x = b.input('x')
 *   return [x, b.mul(b.sin(x), x)]
 * })
 * const dydx = grad(graph, y, [x]) // Right({ graph, gradients: [id of dy/dx] })
 * ```
 * @category Differentiation
 */
export const grad = (
  graph: Graph,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): E.Either<GraphError, Gradient> => {
  const bad = [output, ...wrt].find((id) => !Number.isInteger(id) || id < 0 || id >= graph.nodes.length)
  if (bad !== undefined) {
    return E.left(graphError('UnknownName', { name: `#${bad}`, message: `grad: no node #${bad} in this graph` }))
  }
  return E.map(({ graph: g, result }: { graph: Graph; result: NodeId[] }) => ({
    graph: g,
    gradients: result,
    forwardSize: graph.nodes.length,
  }))(build(graph, (b) => gradInto(b, output, wrt, options)))
}

/**
 * {@link grad} for scripts: the gradient, or a thrown `BackpropError` whose
 * message is the `Left`'s.
 *
 * @example
 * ```ts
 * const { graph: withGrad, gradients: [dydx] } = gradOrThrow(graph, y, [x])
 * ```
 * @category Differentiation
 */
export const gradOrThrow = (graph: Graph, output: NodeId, wrt: readonly NodeId[], options: GradOptions = {}): Gradient =>
  orThrow(grad(graph, output, wrt, options))
