import { type Node, type NodeId, type OpName, ops, sameShape } from '@backprop/graph'
import type { ElementwiseOp } from './ir.js'

/** True for the ops a fused loop evaluates (`stopGradient` is a view). @internal */
export const isElementwise = (op: OpName): op is ElementwiseOp => ops[op].kind === 'elementwise' && op !== 'stopGradient'

/**
 * Which nodes are computed together, as {@link planFusion} decides it.
 *
 * @internal
 */
export interface Fusion {
  /** For each node, the root of the elementwise group it belongs to, or -1. */
  readonly groupOf: Int32Array
  /** The matrix product computed as each group's prologue, by the group's root. */
  readonly matmulOfGroup: ReadonlyMap<NodeId, NodeId>
  /** The products computed with a group as their epilogue. */
  readonly fusedMatmul: ReadonlySet<NodeId>
  /**
   * Products that only transposes read, computed transposed,
   * (A B)^T = B^T A^T, so that the transpose is a plain view (a gradient
   * dW = (z^T g)^T comes out as g^T z).
   */
  readonly transposedMatmul: ReadonlySet<NodeId>
}

/**
 * Groups the `needed` nodes (in topological order) for fused loops, from the
 * outputs backwards so that consumers are placed first: each elementwise
 * node whose consumers are all elementwise nodes of one group, of its
 * shape, joins that group; a matrix product whose consumers are all in one
 * group becomes that group's epilogue. `pinned` nodes (outputs, update
 * values) root their own groups; with `fuse` false every elementwise node
 * is a group of its own.
 *
 * @internal
 */
export const planFusion = (
  nodes: readonly Node[],
  needed: readonly NodeId[],
  consumers: ReadonlyMap<NodeId, readonly NodeId[]>,
  pinned: ReadonlySet<NodeId>,
  fuse: boolean,
): Fusion => {
  const groupOf = new Int32Array(nodes.length).fill(-1)
  const matmulOfGroup = new Map<NodeId, NodeId>()
  const fusedMatmul = new Set<NodeId>()
  const transposedMatmul = new Set<NodeId>()
  const isTranspose2D = (id: NodeId): boolean => nodes[id]!.op === 'transpose' && nodes[id]!.attrs.perm?.[0] === 1 && nodes[id]!.shape.length === 2
  const sharedGroup = (id: NodeId): number => {
    const cs = consumers.get(id)
    if (!fuse || pinned.has(id) || cs === undefined) return -1
    const g = groupOf[cs[0]!]!
    if (g < 0) return -1
    for (const c of cs) if (groupOf[c] !== g || !sameShape(nodes[c]!.shape, nodes[id]!.shape)) return -1
    return g
  }
  const fuseMatmul = (id: NodeId, group: number): void => {
    if (group < 0 || matmulOfGroup.has(group)) return
    matmulOfGroup.set(group, id)
    fusedMatmul.add(id)
  }
  for (let k = needed.length - 1; k >= 0; k--) {
    const id = needed[k]!
    const op = nodes[id]!.op
    const shared = sharedGroup(id)
    if (isElementwise(op)) groupOf[id] = shared >= 0 ? shared : id
    else if (op === 'matmul') {
      const cs = consumers.get(id) ?? []
      if (!pinned.has(id) && cs.length > 0 && cs.every(isTranspose2D)) {
        transposedMatmul.add(id)
        const groups = new Set(cs.map(sharedGroup))
        if (groups.size === 1) fuseMatmul(id, [...groups][0]!)
      } else {
        fuseMatmul(id, shared)
      }
    }
  }
  return { groupOf, matmulOfGroup, fusedMatmul, transposedMatmul }
}
