import type { NodeId } from '../graph.js'
import { ops } from '../ops.js'
import { type NodeSource, nodeOf } from './match.js'
import { valuesOf } from './tensor.js'

// Nodes a proof may look at. Enough for the patterns that occur (exp, squares,
// products of a few factors), and it keeps a query O(1) on any graph.
const budgetPerQuery = 32

interface Budget {
  left: number
}

const allConstValues = (source: NodeSource, id: NodeId, test: (v: number) => boolean): boolean => {
  const n = nodeOf(source, id)
  if (n.attrs.value !== undefined) return test(n.attrs.value)
  return valuesOf(n).every(test)
}

// Each proof reads the op's sign facts in the op table (`OpDef.sign`).

const positive = (source: NodeSource, id: NodeId, budget: Budget): boolean => {
  if (budget.left-- <= 0) return false
  const n = nodeOf(source, id)
  if (n.op === 'const') return allConstValues(source, id, (v) => v > 0)
  const [a, c] = n.inputs as [NodeId, NodeId]
  switch (ops[n.op].sign?.positive) {
    case 'always':
      return true
    case 'operand':
      return positive(source, a, budget)
    case 'nonZeroOperand':
      return nonZero(source, a, budget)
    case 'allOperands':
      return positive(source, a, budget) && positive(source, c, budget)
    case 'anyOperand':
      return positive(source, a, budget) || positive(source, c, budget)
    // A positive value plus one that is never negative: 1 + square(x), exp(x) + abs(y).
    case 'sum':
      return (
        (positive(source, a, budget) && nonNegative(source, c, budget)) ||
        (nonNegative(source, a, budget) && positive(source, c, budget))
      )
    default:
      return false
  }
}

const nonNegative = (source: NodeSource, id: NodeId, budget: Budget): boolean => {
  if (budget.left-- <= 0) return false
  const n = nodeOf(source, id)
  if (n.op === 'const') return allConstValues(source, id, (v) => v >= 0)
  const [a, c] = n.inputs as [NodeId, NodeId]
  switch (ops[n.op].sign?.nonNegative) {
    case 'always':
      return true
    case 'allOperands':
      return nonNegative(source, a, budget) && nonNegative(source, c, budget)
    default:
      return positive(source, id, budget)
  }
}

const nonZero = (source: NodeSource, id: NodeId, budget: Budget): boolean => {
  const n = nodeOf(source, id)
  if (n.op === 'const') return allConstValues(source, id, (v) => v !== 0 && !Number.isNaN(v))
  if (positive(source, id, budget)) return true
  const [a, c] = n.inputs as [NodeId, NodeId]
  switch (ops[n.op].sign?.nonZero) {
    case 'operand':
      return nonZero(source, a, budget)
    case 'allOperands':
      return nonZero(source, a, budget) && nonZero(source, c, budget)
    case 'integerPower': {
      // A negative base needs an integer exponent to stay real.
      const integer = allConstValues(source, c, Number.isInteger)
      return nodeOf(source, c).op === 'const' && integer && nonZero(source, a, budget)
    }
    default:
      return false
  }
}

/**
 * True when node `id` is provably different from zero at every point where it
 * is defined, in exact real arithmetic: nonzero constants, `exp`, `sigmoid`,
 * `softplus` and `softmax` (positive everywhere), squares, absolute values and
 * negations and square roots of nonzero values, products of nonzero values,
 * quotients of nonzero dividends, and so on. `false` means "not proven", not
 * "zero".
 *
 * Floating point can still round a provably nonzero value to zero (`exp(-800)`
 * underflows); rewrites that rely on this, such as `x / x -> 1`, then give the
 * mathematically right value where the unrewritten graph gives NaN. The proof
 * looks at a bounded number of nodes, so a query costs O(1) on any graph.
 *
 * @example
 * ```ts
 * isNonZero(b, b.exp(x))      // true
 * isNonZero(b, b.sub(x, y))   // false: not provable
 * ```
 * @category Rewrites
 */
export const isNonZero = (source: NodeSource, id: NodeId): boolean =>
  nonZero(source, id, { left: budgetPerQuery })

/**
 * True when node `id` is provably positive wherever it is defined (same
 * reasoning and caveats as {@link isNonZero}).
 *
 * @category Rewrites
 */
export const isPositive = (source: NodeSource, id: NodeId): boolean =>
  positive(source, id, { left: budgetPerQuery })
