import { build, type Builder, type Graph, type GraphError, graphError, fail, type NodeId, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { type GradOptions, gradInto } from './grad.js'

/**
 * A graph extended with derivative nodes, and those nodes.
 *
 * @category Higher order
 */
export interface Derived<R> {
  /** The original graph with derivative nodes appended. */
  readonly graph: Graph
  /** The derivative nodes. */
  readonly result: R
  /** Number of nodes of the original graph: ids below it are forward nodes. */
  readonly forwardSize: number
}

const extend = <R>(graph: Graph, recipe: (b: Builder) => R): E.Either<GraphError, Derived<R>> =>
  E.map(({ graph: g, result }: { graph: Graph; result: R }) => ({ graph: g, result, forwardSize: graph.nodes.length }))(
    build(graph, recipe),
  )

/**
 * The Jacobian of `output` with respect to each `wrt` node, appended to the
 * graph being built: for `wrt[j]`, one node of shape `[...output shape,
 * ...wrt[j] shape]` whose element `[k..., l...]` is d output[k...] /
 * d wrt[j][l...] (for a scalar output, the gradient itself). Each row is the
 * gradient of one element of `output` (an `index` of it), so the graph grows
 * with the number of output elements: meant for small outputs. Use inside a
 * build; {@link jacobian} is the stand-alone form.
 *
 * @category Higher order
 */
export const jacobianInto = (
  b: Builder,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): NodeId[] => {
  const { shape } = b.node(output)
  if (shape.length === 0) return gradInto(b, output, wrt, options)
  const m = sizeOf(shape)
  const flat = b.reshape(output, [m])
  const rows = Array.from({ length: m }, (_, k) => gradInto(b, b.index(flat, k), wrt, options))
  return wrt.map((w, j) => {
    const inner = b.node(w).shape
    const n = sizeOf(inner)
    const stacked = b.concat(rows.map((row) => b.reshape(row[j]!, [1, n])), 0)
    return b.reshape(stacked, [...shape, ...inner])
  })
}

/**
 * {@link jacobianInto} as a graph-to-graph function.
 *
 * @example
 * ```ts
 * const { graph, result: [x, y] } = buildOrThrow(emptyGraph, (b) => {
 *   const x = b.input('x', [3])
 *   return [x, b.mul(b.sin(x), b.slice(x, 0, 3))]
 * })
 * jacobian(graph, y, [x]) // Right({ result: [id of the [3,3] Jacobian], ... })
 * ```
 * @category Higher order
 */
export const jacobian = (
  graph: Graph,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): E.Either<GraphError, Derived<NodeId[]>> => extend(graph, (b) => jacobianInto(b, output, wrt, options))

/**
 * First and second derivatives of an `output` of one element, appended to
 * the graph being built: the gradient, and `hessian[i][j]` = d2E/(dv_i dv_j),
 * the Jacobian of the gradient with respect to v_j, of shape `[...shape of
 * v_i, ...shape of v_j]` (`[n, n]` for one vector of n). It is the
 * derivative of the gradient graph, never a finite difference. Use inside a
 * build; {@link hessian} is the stand-alone form.
 *
 * @category Higher order
 */
export const hessianInto = (
  b: Builder,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): { gradient: NodeId[]; hessian: NodeId[][] } => {
  const { shape } = b.node(output)
  if (sizeOf(shape) !== 1) {
    fail(
      graphError('ShapeError', {
        op: 'hessian',
        message: `hessian: node #${output} has shape [${shape}], not a scalar; use jacobian of the gradient or hvp`,
      }),
    )
  }
  const scalar = shape.length === 0 ? output : b.reshape(output, [])
  const gradient = gradInto(b, scalar, wrt, options)
  return { gradient, hessian: gradient.map((g) => jacobianInto(b, g, wrt, options)) }
}

/**
 * First and second derivatives of a scalar `output` with respect to nodes
 * of any shape: the Hessian is the derivative of the gradient graph, never
 * a finite difference. `hessian[i][j]` is d2E/(dv_i dv_j), of shape
 * `[...shape of v_i, ...shape of v_j]`: `[n, n]` for a vector of n.
 *
 * @example
 * ```ts
 * const { graph, result: [x, f] } = buildOrThrow(emptyGraph, (b) => {
 *   const x = b.input('x', [2])
 *   return [x, b.mul(b.square(b.index(x, 0)), b.index(x, 1))]
 * })
 * hessian(graph, f, [x]) // Right({ result: { gradient: [g], hessian: [[H]] } }), H of shape [2,2]
 * ```
 * @category Higher order
 */
export const hessian = (
  graph: Graph,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): E.Either<GraphError, Derived<{ gradient: NodeId[]; hessian: NodeId[][] }>> =>
  extend(graph, (b) => hessianInto(b, output, wrt, options))

/**
 * Hessian-vector product: H v = d/dw (sum_i <dE/dw_i, v_i>) for parameters
 * `wrt` and direction nodes `v` of the same shapes, without forming H.
 *
 * @category Higher order
 */
export const hvp = (
  graph: Graph,
  output: NodeId,
  wrt: readonly NodeId[],
  v: readonly NodeId[],
  options: GradOptions = {},
): E.Either<GraphError, Derived<NodeId[]>> =>
  extend(graph, (b) => {
    if (v.length !== wrt.length) {
      fail(graphError('ShapeError', { op: 'hvp', message: `hvp: ${wrt.length} variables but ${v.length} directions` }))
    }
    const gradient = gradInto(b, output, wrt, options)
    const inner = gradient.map((g, i) => b.sum(b.mul(g, v[i]!))).reduce((acc, t) => b.add(acc, t))
    return gradInto(b, inner, wrt, options)
  })
