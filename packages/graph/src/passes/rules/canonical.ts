import type { NodeId } from '../../graph.js'
import { isConst } from '../match.js'
import { onOps, type Rewrite } from '../rewrite.js'

// equal(a, b) -> equal(b, a)   when b sorts first: constants first, then by id.
// `equal(x, y)` and `equal(y, x)` become one node, which hash-consing then shares.
// max and min are left out on purpose: their values do not depend on the
// order, but their gradients do at ties (CONTRACT.md: max passes the gradient
// to its first operand when a >= b), so swapping would change derivatives.
// add and mul are ordered by the rules that gather sums and products, which
// see whole chains rather than one pair of operands.
const equalOrder = onOps(['equal'], (b, _id, n) => {
  if (n.op !== 'equal') return undefined
  const [x, y] = n.inputs as [NodeId, NodeId]
  const cx = isConst(b, x)
  const cy = isConst(b, y)
  const swap = cx === cy ? x > y : cy
  return swap ? b.equal(y, x) : undefined
})

/**
 * Canonical operand order of the commutative op `equal`: constants first,
 * then by ascending node id, so that `equal(x, y)` and `equal(y, x)` become
 * the same node. (The canonical order of `add` and `mul` chains is the
 * business of {@link sumRules} and {@link productRules}; `max` and `min` are
 * commutative in value but not in their gradient at ties, so they keep their
 * order.)
 *
 * @category Rewrites
 */
export const canonicalRules: readonly Rewrite[] = [equalOrder]
