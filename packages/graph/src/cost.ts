import { ancestors, type Graph, type NodeId } from './graph.js'
import { ops } from './ops.js'

/**
 * Roughly how many floating-point operations one run of `roots` of `graph`
 * does, from each op's {@link OpDef.cost}: 2 m n k per matrix product, the
 * operand's size for a reduction, the result's size for an elementwise op,
 * nothing for views and leaves. The one estimate backends use to decide
 * whether a run repays generated code or a split across threads.
 *
 * @example
 * ```ts
 * flopsOf(graph, [loss]) // 2 * 64 * 784 * 128 + ... for an MNIST layer at batch 64
 * ```
 * @category Ops
 */
export const flopsOf = (graph: Graph, roots: readonly NodeId[]): number => {
  let flops = 0
  for (const id of ancestors(graph, roots)) {
    const node = graph.nodes[id]!
    flops += ops[node.op].cost(node, node.inputs.map((i) => graph.nodes[i]!))
  }
  return flops
}
