import type { Graph, NodeId } from '../graph.js'
import { ops } from '../ops.js'

/**
 * Evaluates a scalar graph at a point with each op's number semantics
 * (`ops[op].fn`): a reference evaluator for tests, so they can compare
 * expressions by value. Throws on tensor ops and missing inputs.
 *
 * @internal
 */
export const evaluateScalar = (graph: Graph, output: NodeId, at: Readonly<Record<string, number>>): number => {
  const values: number[] = []
  graph.nodes.forEach((n, id) => {
    if (n.op === 'input' || n.op === 'param') {
      const v = at[n.attrs.name!]
      if (v === undefined) throw new Error(`no value for '${n.attrs.name}'`)
      values[id] = v
    } else if (n.op === 'const') {
      values[id] = n.attrs.value ?? n.attrs.values![0]!
    } else {
      const fn = ops[n.op].fn
      if (fn === undefined) throw new Error(`${n.op} is not a scalar op`)
      values[id] = fn(...n.inputs.map((i) => values[i]!))
    }
  })
  return values[output]!
}
