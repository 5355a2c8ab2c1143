import type { NodeId } from '../../graph.js'
import { isConst } from '../match.js'
import type { Rewrite } from '../rewrite.js'

// max and min are left out on purpose: their values do not depend on the
// order, but their gradients do at ties (CONTRACT.md: max passes the gradient
// to its first operand when a >= b), so swapping would change derivatives.
const reordered: ReadonlySet<string> = new Set(['add', 'mul', 'equal'])

// a op b -> b op a   for commutative op, when b sorts first: constants first,
// then by id. `x*y` and `y*x` become one node, which hash-consing then shares.
const commutativeOrder: Rewrite = (b, _id, n) => {
  if (!reordered.has(n.op)) return undefined
  const [x, y] = n.inputs as [NodeId, NodeId]
  const cx = isConst(b, x)
  const cy = isConst(b, y)
  const swap = cx === cy ? x > y : cy
  return swap ? b.apply(n.op, [y, x]) : undefined
}

/**
 * Canonical operand order of the commutative ops `add`, `mul` and `equal`:
 * constants first, then by ascending node id, so that `x*y` and `y*x` become
 * the same node and common-subexpression sharing finds more. (`max` and `min`
 * are commutative in value but not in their gradient at ties, so they keep
 * their order.)
 *
 * @category Rewrites
 */
export const canonicalRules: readonly Rewrite[] = [commutativeOrder]
