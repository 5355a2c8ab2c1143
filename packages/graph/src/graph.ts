import type { OpName } from './ops.js'
import type { DType, Shape } from './shape.js'

/**
 * A node's address: its index in {@link Graph.nodes}. Ids are stable: a
 * transformation that extends a graph keeps every existing id.
 *
 * @category Graph
 */
export type NodeId = number

/**
 * Op-specific attributes. Only the fields an op's definition reads are set.
 *
 * @category Graph
 */
export interface Attrs {
  /** `input` and `param`: the name a feed or parameter is addressed by. */
  readonly name?: string
  /** `const`: the scalar value (a scalar constant of any shape is splatted). */
  readonly value?: number
  /** `const`: row-major values of a tensor constant. */
  readonly values?: readonly number[]
  /** `input`, `param`, `const`, `reshape`, `broadcast`: the target shape. */
  readonly shape?: Shape
  /** `sum`, `reduceMax`: the reduced axes (normalised, ascending). */
  readonly axes?: readonly number[]
  /** `sum`, `reduceMax`, `logSumExp`: keep reduced axes with extent 1. */
  readonly keepdims?: boolean
  /** `softmax`, `logSoftmax`, `logSumExp`, `slice`, `index`, `concat`: the axis (normalised). */
  readonly axis?: number
  /** `transpose`: the axis permutation. */
  readonly perm?: readonly number[]
  /** `slice`: the first position taken along `axis`; `index`: the one position taken. */
  readonly start?: number
  /** `slice`: the position after the last one taken along `axis`. */
  readonly end?: number
}

/**
 * One vertex of a computational graph: an op applied to earlier nodes.
 * Nodes are immutable and hash-consed: within a graph, no two nodes have the
 * same op, inputs and attributes.
 *
 * @category Graph
 */
export interface Node {
  /** What the node computes. */
  readonly op: OpName
  /** The operands, all with smaller ids than this node. */
  readonly inputs: readonly NodeId[]
  /** Op-specific attributes. */
  readonly attrs: Attrs
  /** The static shape of the node's value. */
  readonly shape: Shape
  /** The element type of the node's value. */
  readonly dtype: DType
}

/**
 * An immutable computational graph: nodes in topological order (every input
 * has a smaller id than its consumer). Transformations return new graphs;
 * those that extend a graph keep it as a prefix, so the forward part of a
 * gradient graph is literally the original graph.
 *
 * @category Graph
 */
export interface Graph {
  /** All nodes, in topological order; a node's id is its index. */
  readonly nodes: readonly Node[]
}

/**
 * The graph with no nodes, the start of every build.
 *
 * @category Graph
 */
export const emptyGraph: Graph = Object.freeze({ nodes: Object.freeze([]) as readonly Node[] })

/**
 * The ids of every node that some of `outputs` depends on (outputs included),
 * in ascending (topological) order.
 *
 * @category Graph
 */
export const ancestors = (graph: Graph, outputs: readonly NodeId[]): NodeId[] => {
  const seen = new Uint8Array(graph.nodes.length)
  const stack = [...outputs]
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen[id]) continue
    seen[id] = 1
    for (const i of graph.nodes[id]!.inputs) if (!seen[i]) stack.push(i)
  }
  const out: NodeId[] = []
  for (let id = 0; id < seen.length; id++) if (seen[id]) out.push(id)
  return out
}

/**
 * For each node, the ids of the nodes that use it as an input (its
 * consumers, the lecture's post(i)), restricted to `within` when given.
 *
 * @category Graph
 */
export const consumers = (graph: Graph, within?: readonly NodeId[]): NodeId[][] => {
  const out: NodeId[][] = graph.nodes.map(() => [])
  const ids = within ?? graph.nodes.map((_, i) => i)
  for (const id of ids) for (const i of graph.nodes[id]!.inputs) out[i]!.push(id)
  return out
}

/**
 * The `input` nodes of a graph by name.
 *
 * @category Graph
 */
export const inputsOf = (graph: Graph): ReadonlyMap<string, NodeId> => namedOf(graph, 'input')

/**
 * The `param` nodes of a graph by name.
 *
 * @category Graph
 */
export const paramsOf = (graph: Graph): ReadonlyMap<string, NodeId> => namedOf(graph, 'param')

const namedOf = (graph: Graph, op: 'input' | 'param'): Map<string, NodeId> => {
  const out = new Map<string, NodeId>()
  graph.nodes.forEach((n, id) => {
    if (n.op === op) out.set(n.attrs.name!, id)
  })
  return out
}
