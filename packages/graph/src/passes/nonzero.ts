import type { NodeId } from '../graph.js'
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

const positive = (source: NodeSource, id: NodeId, budget: Budget): boolean => {
  if (budget.left-- <= 0) return false
  const n = nodeOf(source, id)
  const [a, c] = n.inputs as [NodeId, NodeId]
  switch (n.op) {
    case 'const':
      return allConstValues(source, id, (v) => v > 0)
    // Positive for every real argument.
    case 'exp':
    case 'sigmoid':
    case 'softplus':
    case 'softmax':
      return true
    case 'square':
    case 'abs':
      return nonZero(source, a, budget)
    case 'sqrt':
    case 'relu':
    case 'stopGradient':
    case 'broadcast':
    case 'reshape':
    case 'transpose':
      return positive(source, a, budget)
    case 'pow':
      return positive(source, a, budget)
    // A positive value plus one that is never negative: 1 + square(x), exp(x) + abs(y).
    case 'add':
      return (
        (positive(source, a, budget) && nonNegative(source, c, budget)) ||
        (nonNegative(source, a, budget) && positive(source, c, budget))
      )
    case 'mul':
    case 'div':
    case 'min':
      return positive(source, a, budget) && positive(source, c, budget)
    case 'max':
      return positive(source, a, budget) || positive(source, c, budget)
    default:
      return false
  }
}

const nonNegative = (source: NodeSource, id: NodeId, budget: Budget): boolean => {
  if (budget.left-- <= 0) return false
  const n = nodeOf(source, id)
  const [a, c] = n.inputs as [NodeId, NodeId]
  switch (n.op) {
    case 'const':
      return allConstValues(source, id, (v) => v >= 0)
    // Never negative for any real argument (sqrt where it is defined).
    case 'square':
    case 'abs':
    case 'relu':
    case 'sqrt':
    case 'exp':
    case 'sigmoid':
    case 'softplus':
    case 'softmax':
      return true
    case 'add':
    case 'mul':
    case 'max':
    case 'min':
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
  switch (n.op) {
    case 'neg':
    case 'sign':
    case 'tanh':
    case 'sqrt':
    case 'stopGradient':
    case 'broadcast':
    case 'reshape':
    case 'transpose':
      return nonZero(source, a, budget)
    case 'mul':
      return nonZero(source, a, budget) && nonZero(source, c, budget)
    // Where a quotient is defined (a nonzero divisor), it is zero only where its dividend is.
    case 'div':
      return nonZero(source, a, budget)
    case 'pow': {
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
