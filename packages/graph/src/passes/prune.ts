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
export const pruneGraph = (graph: Graph, outputs: readonly NodeId[]): Rooted => pruneMapped(graph, outputs).rooted

/**
 * {@link pruneGraph}, also returning where each node went (-1 for dropped
 * nodes). @internal
 */
export const pruneMapped = (
  graph: Graph,
  outputs: readonly NodeId[],
): { readonly rooted: Rooted; readonly renumber: Int32Array } => {
  const keep = ancestors(graph, outputs)
  const renumber = new Int32Array(graph.nodes.length).fill(-1)
  // Nothing to drop: the graph is already pruned, and ids would not change.
  if (keep.length === graph.nodes.length) {
    for (let id = 0; id < renumber.length; id++) renumber[id] = id
    return { rooted: { graph, outputs: [...outputs] }, renumber }
  }
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
    rooted: { graph: Object.freeze({ nodes: Object.freeze(nodes) }), outputs: outputs.map((o) => renumber[o]!) },
    renumber,
  }
}

/**
 * {@link pruneMapped} of scratch nodes that nothing else holds (from
 * `buildScratch`): the kept ones are renumbered in place and frozen instead
 * of copied, which saves a pass that rebuilt a large graph an allocation per
 * node. @internal
 */
export const pruneScratch = (
  nodes: Node[],
  outputs: readonly NodeId[],
): { readonly rooted: Rooted; readonly renumber: Int32Array } => {
  // Scratch nodes come from a builder, so operands precede their consumers:
  // one walk down the ids marks what the outputs need, with no stack.
  const renumber = new Int32Array(nodes.length).fill(-1)
  for (const o of outputs) renumber[o] = 0
  let count = 0
  for (let id = nodes.length - 1; id >= 0; id--) {
    if (renumber[id]! < 0) continue
    count++
    const inputs = nodes[id]!.inputs
    for (let j = 0; j < inputs.length; j++) renumber[inputs[j]!] = 0
  }
  const kept = new Array<Node>(count)
  for (let id = 0, k = 0; id < nodes.length; id++) {
    if (renumber[id]! < 0) continue
    renumber[id] = k
    const n = nodes[id]!
    // Operands come first, so theirs are renumbered already.
    const inputs = n.inputs as NodeId[]
    for (let j = 0; j < inputs.length; j++) inputs[j] = renumber[inputs[j]!]!
    Object.freeze(inputs)
    kept[k++] = Object.freeze(n)
  }
  return {
    rooted: { graph: Object.freeze({ nodes: Object.freeze(kept) }), outputs: outputs.map((o) => renumber[o]!) },
    renumber,
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
