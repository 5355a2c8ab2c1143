import type { NodeId } from '../graph.js'
import { ops } from '../ops.js'
import { type NodeSource, nodeOf } from './match.js'
import { isNonZero } from './nonzero.js'
import { valuesOf } from './tensor.js'

// Nodes a proof may look at, so that a query costs O(1) on any graph.
const budgetPerQuery = 16

const finite = (source: NodeSource, id: NodeId, budget: { left: number }): boolean => {
  if (budget.left-- <= 0) return false
  const n = nodeOf(source, id)
  if (n.op === 'const') {
    return n.attrs.value !== undefined ? Number.isFinite(n.attrs.value) : valuesOf(n).every(Number.isFinite)
  }
  if (n.op === 'input' || n.op === 'param') return true
  switch (ops[n.op].finite) {
    case 'operands':
      for (const i of n.inputs) if (!finite(source, i, budget)) return false
      return true
    case 'polynomialPower': {
      // A power with a non-negative integer exponent is a polynomial.
      const e = nodeOf(source, n.inputs[1]!)
      const exponent = e.op === 'const' ? valuesOf(e) : undefined
      return (
        exponent !== undefined &&
        exponent.every((k) => Number.isInteger(k) && k >= 0) &&
        finite(source, n.inputs[0]!, budget)
      )
    }
    // A finite value over a provably nonzero one (exact arithmetic, as isNonZero reasons).
    case 'nonZeroDivisor':
      return isNonZero(source, n.inputs[1]!) && finite(source, n.inputs[0]!, budget)
    default:
      return false
  }
}

/**
 * True when node `id` is provably finite, taking inputs and parameters to be
 * finite (the assumption the arithmetic rules make throughout, as in
 * `x * 0 -> 0`): finite constants, and polynomials, bounded functions and
 * data movement of finite values, and their quotients by provably nonzero
 * values ({@link isNonZero}). `false` means "not proven". The proof looks at
 * a bounded number of nodes, so a query costs O(1) on any graph.
 *
 * @example
 * ```ts
 * isFiniteValued(b, b.mul(b.scalar(2), x)) // true
 * isFiniteValued(b, b.div(b.scalar(1), x)) // false: x may be 0
 * ```
 * @category Rewrites
 */
export const isFiniteValued = (source: NodeSource, id: NodeId): boolean =>
  finite(source, id, { left: budgetPerQuery })
