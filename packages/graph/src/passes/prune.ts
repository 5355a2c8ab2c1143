import { buildOrThrow } from '../builder.js'
import { ancestors, emptyGraph, type Graph, type NodeId } from '../graph.js'
import { makePass, type Pass, type Rooted } from './pass.js'

/** Keeps the ancestors of `outputs`, renumbered in their old order. @internal */
export const pruneGraph = (graph: Graph, outputs: readonly NodeId[]): Rooted => {
  const keep = ancestors(graph, outputs)
  // Nothing to drop: the graph is already pruned, and ids would not change.
  if (keep.length === graph.nodes.length) return { graph, outputs: [...outputs] }
  const renumber = new Int32Array(graph.nodes.length)
  const built = buildOrThrow(emptyGraph, (b) => {
    for (const id of keep) {
      const n = graph.nodes[id]!
      const inputs = n.inputs.map((i) => renumber[i]!)
      renumber[id] = b.apply(n.op, inputs, n.attrs, n.dtype)
    }
  })
  return { graph: built.graph, outputs: outputs.map((o) => renumber[o]!) }
}

/**
 * Keeps only the nodes that `outputs` depend on (the outputs included),
 * renumbered in their old topological order, and maps `outputs` to the new
 * ids. Returns the graph itself when nothing can be dropped.
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
