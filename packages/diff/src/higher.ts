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

const oneHot = (b: Builder, of: NodeId, k: number): NodeId => {
  const { shape, dtype } = b.node(of)
  const values = new Array<number>(sizeOf(shape)).fill(0)
  values[k] = 1
  return b.constant(values, shape, dtype)
}

/**
 * The Jacobian of `output` with respect to each `wrt` node, one row per
 * element of `output` (row-major): `result[k][j]` is the gradient of element
 * k of `output` with respect to `wrt[j]`, with the shape of `wrt[j]`. Each row
 * is a vector-Jacobian product with a one-hot seed, so the graph grows with
 * the number of output elements: meant for small outputs.
 *
 * @category Higher order
 */
export const jacobianInto = (
  b: Builder,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): NodeId[][] => {
  const { shape } = b.node(output)
  if (shape.length === 0) return [gradInto(b, output, wrt, options)]
  return Array.from({ length: sizeOf(shape) }, (_, k) =>
    gradInto(b, output, wrt, { ...options, seed: oneHot(b, output, k) }),
  )
}

/**
 * {@link jacobianInto} as a graph-to-graph function.
 *
 * @category Higher order
 */
export const jacobian = (
  graph: Graph,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): E.Either<GraphError, Derived<NodeId[][]>> => extend(graph, (b) => jacobianInto(b, output, wrt, options))

/**
 * First and second derivatives of a scalar `output`, appended to the graph
 * being built: the gradient and `hessian[i][j]` = d2E/(dv_i dv_j). Use
 * inside a build; {@link hessian} is the stand-alone form.
 *
 * @category Higher order
 */
export const hessianInto = (
  b: Builder,
  output: NodeId,
  wrt: readonly NodeId[],
  options: GradOptions = {},
): { gradient: NodeId[]; hessian: NodeId[][] } => {
  const nonScalar = [output, ...wrt].find((id) => b.node(id).shape.length !== 0)
  if (nonScalar !== undefined) {
    fail(
      graphError('ShapeError', {
        op: 'hessian',
        message: `hessian: node #${nonScalar} is not a scalar; use jacobian of the gradient or hvp for tensors`,
      }),
    )
  }
  const gradient = gradInto(b, output, wrt, options)
  return { gradient, hessian: gradient.map((g) => gradInto(b, g, wrt, options)) }
}

/**
 * First and second derivatives of a scalar `output` with respect to scalar
 * nodes: the Hessian is the gradient of the gradient graph, never a finite
 * difference. `hessian[i][j]` is d2E/(dv_i dv_j).
 *
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
