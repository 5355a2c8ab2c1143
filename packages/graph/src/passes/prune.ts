import { ancestors, type Graph, type Node, type NodeId } from '../graph.js'
import { makePass, type Pass, type Rooted } from './pass.js'

/**
 * Keeps the ancestors of `outputs`, renumbered in their old order. @internal
 *
 * The nodes are renumbered rather than rebuilt: an order-preserving
 * renumbering of a hash-consed graph keeps distinct nodes distinct and
 * operands before consumers, so the result is hash-consed and topologically
 * ordered without inferring shapes or hashing keys again. Nodes whose ids and
 * operands do not change are shared with the input graph.
 */
export const pruneGraph = (graph: Graph, outputs: readonly NodeId[]): Rooted => {
  const keep = ancestors(graph, outputs)
  // Nothing to drop: the graph is already pruned, and ids would not change.
  if (keep.length === graph.nodes.length) return { graph, outputs: [...outputs] }
  const renumber = new Int32Array(graph.nodes.length)
  const nodes = new Array<Node>(keep.length)
  for (let k = 0; k < keep.length; k++) {
    const id = keep[k]!
    renumber[id] = k
    const n = graph.nodes[id]!
    let moved = false
    for (const i of n.inputs) if (renumber[i] !== i) moved = true
    nodes[k] = moved
      ? Object.freeze({
          op: n.op,
          inputs: Object.freeze(n.inputs.map((i) => renumber[i]!)),
          attrs: n.attrs,
          shape: n.shape,
          dtype: n.dtype,
        })
      : n
  }
  return {
    graph: Object.freeze({ nodes: Object.freeze(nodes) }),
    outputs: outputs.map((o) => renumber[o]!),
  }
}

/**
 * Keeps only the nodes that `outputs` depend on (the outputs included),
 * renumbered in their old topological order, and maps `outputs` to the new
 * ids. Returns the graph itself when nothing can be dropped. Linear in the
 * graph's size.
 *
 * @example
 * ```ts
 * const { graph: g, result: [y] } = buildOrThrow(emptyGraph, (b) => {
 *   const x = b.input('x')
 *   b.sin(x) // unused
 *   return [b.square(x)]
 * })
 * prune(g, [y]) // { graph: x, square(x); outputs: [1] }
 * ```
 * @category Passes
 */
export const prune: Pass<void> = makePass((graph, outputs) => pruneGraph(graph, outputs))
