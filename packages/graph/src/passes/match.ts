import type { Builder } from '../builder.js'
import type { Graph, Node, NodeId } from '../graph.js'
import { splatOf } from './tensor.js'

/**
 * Where rule helpers read nodes from: a graph, or a builder mid-build.
 *
 * @category Rewrites
 */
export type NodeSource = Graph | Pick<Builder, 'node'>

/** The node `id` of `source`. @internal */
export const nodeOf = (source: NodeSource, id: NodeId): Node =>
  'nodes' in source ? source.nodes[id]! : source.node(id)

/**
 * The value every element of node `id` has when it is a constant with all
 * elements equal (a scalar constant of any shape, say), else `undefined`.
 * The building block of rule patterns such as `x * 1`.
 *
 * @example
 * ```ts
 * constantValue(b, b.scalar(2, 'f64', [3])) // 2
 * constantValue(b, b.input('x'))            // undefined
 * ```
 * @category Rewrites
 */
export const constantValue = (source: NodeSource, id: NodeId): number | undefined =>
  splatOf(nodeOf(source, id))

/** True when node `id` is a constant (of any values). @internal */
export const isConst = (b: Pick<Builder, 'node'>, id: NodeId): boolean => b.node(id).op === 'const'

/** The operand of a node of `op`, when node `id` is one. @internal */
export const operandOf = (b: Pick<Builder, 'node'>, id: NodeId, op: Node['op']): NodeId | undefined => {
  const n = b.node(id)
  return n.op === op ? n.inputs[0] : undefined
}
