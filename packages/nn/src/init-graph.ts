import { consumers, type Graph, type GraphError, type NodeId, ops, type Shape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { allocate, drawWeights, optionsProblem } from './init-draw.js'
import type { InitOptions, ParamValue } from './init.js'
import { normal, uniform } from './random.js'

/**
 * True when the graph multiplies by matrix `id` from the right (`x W`,
 * making it `[in, out]`), looking through transposes (`x W^T` is from the
 * left in this sense: W is `[out, in]`).
 */
const fromRight = (graph: Graph, id: NodeId, users: readonly NodeId[][]): boolean =>
  users[id]!.some((u) => {
    const { op, inputs } = graph.nodes[u]!
    if (op === 'matmul') return inputs[1] === id
    return op === 'transpose' && graph.nodes[u]!.shape.length === 2 && !fromRight(graph, u, users)
  })

/**
 * Fan-in and fan-out of a weight of rank 2 or more: `[out, in]` (`W x`, as
 * in the layered networks) unless multiplied from the right; further axes
 * (a kernel's) multiply both fans.
 */
const fansOf = (graph: Graph, id: NodeId, shape: Shape, users: readonly NodeId[][]): [number, number] => {
  const field = sizeOf(shape.slice(2))
  const [fanOut, fanIn] = fromRight(graph, id, users) ? [shape[1]!, shape[0]!] : [shape[0]!, shape[1]!]
  return [fanIn * field, fanOut * field]
}

// Ops a weight's product passes through before its activation (bias adds,
// reshapes, transposes), searched past for the `auto` scheme.
const passThrough = new Set(['matmul', 'add', 'sub', 'mul', 'reshape', 'transpose', 'broadcast', 'sum'])

/** True when the first activation the param feeds (past products, sums and reshapes) is a relu. */
const feedsRelu = (graph: Graph, id: NodeId, users: readonly NodeId[][]): boolean => {
  const seen = new Set<NodeId>()
  const queue = [...users[id]!]
  while (queue.length > 0) {
    const u = queue.shift()!
    if (seen.has(u)) continue
    seen.add(u)
    const { op } = graph.nodes[u]!
    if (op === 'relu') return true
    if (passThrough.has(op) || ops[op].kind === 'leaf') queue.push(...users[u]!)
  }
  return false
}

/** `initParams` of a graph: see there. @internal */
export const initGraphParams = (graph: Graph, options: InitOptions): E.Either<GraphError, Record<string, ParamValue>> => {
  const error = optionsProblem(options)
  if (error) return E.left(error)
  const scheme = options.scheme ?? 'auto'
  const next = uniform(options.seed)
  const gauss = normal(next)
  const users = consumers(graph)
  const out: Record<string, ParamValue> = {}
  graph.nodes.forEach((node, id) => {
    if (node.op !== 'param') return
    const { shape, dtype } = node
    const data = allocate(dtype, sizeOf(shape))
    if (shape.length >= 2) {
      const [fanIn, fanOut] = fansOf(graph, id, shape, users)
      drawWeights(data, fanIn, fanOut, scheme === 'he' || (scheme === 'auto' && feedsRelu(graph, id, users)), next, gauss)
    }
    out[node.attrs.name!] = { shape, dtype, data }
  })
  return E.right(out)
}
