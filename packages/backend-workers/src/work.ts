import { ancestors, type Graph, type NodeId, ops, sizeOf } from '@backprop/graph'

/**
 * Roughly how many floating-point operations one run of `roots` of `graph`
 * does: 2 m n k per matrix product, the input's size for a reduction, the
 * result's size for anything else (views and leaves count nothing). What
 * decides whether splitting a run across threads can repay the round trip.
 *
 * @internal
 */
export const flopsOf = (graph: Graph, roots: readonly NodeId[]): number => {
  let flops = 0
  for (const id of ancestors(graph, roots)) {
    const node = graph.nodes[id]!
    const input = (k: number) => graph.nodes[node.inputs[k]!]!
    switch (node.op) {
      case 'input':
      case 'param':
      case 'const':
      case 'reshape':
      case 'transpose':
      case 'broadcast':
      case 'stopGradient':
        break
      case 'matmul':
        flops += 2 * sizeOf(node.shape) * input(0).shape.at(-1)!
        break
      default:
        flops += ops[node.op].kind === 'elementwise' ? sizeOf(node.shape) : sizeOf(input(0).shape)
    }
  }
  return flops
}
