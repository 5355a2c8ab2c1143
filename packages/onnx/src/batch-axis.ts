import { type Graph, type NodeId, ops, showShape } from '@backprop/graph'

/**
 * Which nodes carry the dynamic batch axis on their axis 0, or why the graph
 * cannot have one: `batched[id]` for every node of `ids` (ancestors of the
 * outputs, in topological order), or the node at fault and what is wrong.
 *
 * The batch axis starts at the batch inputs and follows the ops that keep it
 * on axis 0 (elementwise ops, a matrix product's rows, transposes and
 * reshapes that leave axis 0 alone, reductions over other axes). Where it
 * would move off axis 0, or meet a value that has the batch's static extent
 * but does not come from a batch input, the static graph cannot be read for
 * other batch sizes, so that is an error rather than a guess.
 */
export const batchAxes = (
  graph: Graph,
  ids: readonly NodeId[],
  inputs: ReadonlySet<string>,
): { readonly batched: ReadonlySet<NodeId> } | { readonly node: NodeId; readonly what: string } => {
  const batched = new Set<NodeId>()
  let extent: number | undefined
  for (const id of ids) {
    const node = graph.nodes[id]!
    const operands = node.inputs.map((i) => ({ id: i, node: graph.nodes[i]!, batched: batched.has(i) }))
    const fail = (what: string) => ({ node: id, what })
    const first = operands[0]
    switch (ops[node.op].kind) {
      case 'leaf': {
        if (node.op !== 'input' || !inputs.has(node.attrs.name!)) break
        if (node.shape.length === 0) return fail(`batch input '${node.attrs.name}' is a scalar; it needs a batch axis 0`)
        if (extent !== undefined && node.shape[0] !== extent) {
          return fail(`batch input '${node.attrs.name}' has ${node.shape[0]} samples on axis 0 but another batch input has ${extent}`)
        }
        extent = node.shape[0]
        batched.add(id)
        break
      }
      case 'elementwise': {
        const rank = node.shape.length
        const carrier = operands.find((o) => o.batched && o.node.shape.length === rank)
        const moved = operands.find((o) => o.batched && o.node.shape.length !== rank)
        if (moved) return fail(`the batch axis of operand #${moved.id} ${showShape(moved.node.shape)} would move off axis 0 of ${showShape(node.shape)}`)
        if (!carrier) break
        const stray = operands.find((o) => !o.batched && o.node.shape.length === rank && o.node.shape[0] !== 1)
        if (stray) {
          return fail(`operand #${stray.id} (${stray.node.op} ${showShape(stray.node.shape)}) meets the batch axis but does not depend on a batch input`)
        }
        batched.add(id)
        break
      }
      default: {
        if (!operands.some((o) => o.batched)) break
        if (node.op === 'matmul') {
          if (operands[1]!.batched) return fail('the batch axis is the right operand of a matrix product, so it would move off axis 0')
        } else if (node.op === 'transpose') {
          if (node.attrs.perm![0] !== 0) return fail(`the transpose [${node.attrs.perm}] moves the batch axis off axis 0`)
        } else if (node.op === 'reshape' || (node.op === 'broadcast' && node.shape.length === first!.node.shape.length)) {
          if (node.shape[0] !== first!.node.shape[0]) {
            return fail(`${showShape(first!.node.shape)} -> ${showShape(node.shape)} changes the batch axis 0`)
          }
        } else if (node.op === 'broadcast') {
          return fail(`${showShape(first!.node.shape)} -> ${showShape(node.shape)} moves the batch axis off axis 0`)
        } else if (node.op === 'slice' || node.op === 'index' || node.op === 'concat') {
          // Parts and joins along other axes keep axis 0; an index drops no axis before it.
          if (node.attrs.axis === 0) return fail(`${node.op} along the batch axis 0 selects or joins samples`)
          if (node.op === 'concat' && !operands.every((o) => o.batched)) return fail('concat joins samples with values that are not')
        } else {
          // Reductions and ops along an axis: the batch axis survives unless it is reduced.
          const reduced = node.op === 'sum' || node.op === 'reduceMax' ? node.attrs.axes! : node.op === 'logSumExp' ? [node.attrs.axis!] : []
          if (reduced.includes(0)) break
        }
        batched.add(id)
      }
    }
  }
  return { batched }
}
