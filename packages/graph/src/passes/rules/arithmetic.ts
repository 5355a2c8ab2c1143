// Algebraic identities of the arithmetic ops. Each rule is one pattern with its
// algebra in the comment above it; operands are already simplified when a rule
// runs, and whatever a rule builds through `b` is simplified in turn. Sums and
// products are gathered as a whole by the rules in sums.ts and products.ts.
//
// Like symbolic algebra systems, these rules treat every value as a finite
// real number: `x * 0 -> 0` and `x - x -> 0` are wrong for x = ±Infinity or
// NaN, where the unrewritten graph gives NaN. Rules that divide need a proof
// that the divisor is nonzero (`isNonZero`).
import type { Node, NodeId } from '../../graph.js'
import { type OpName, ops } from '../../ops.js'
import type { Builder } from '../../builder.js'
import { isFiniteValued } from '../finite.js'
import { constantValue, isConst, operandOf } from '../match.js'
import { isNonZero, isPositive } from '../nonzero.js'
import { onOps, type Rewrite } from '../rewrite.js'
import { productRules } from './products.js'
import { sumRules } from './sums.js'

type Pair = readonly [NodeId, NodeId]

/** The two operands of `n` when it is a node of `op`. */
const pair = (n: Node, op: OpName): Pair | undefined =>
  n.op === op ? (n.inputs as unknown as Pair) : undefined

const is = (b: Builder, id: NodeId, value: number): boolean => constantValue(b, id) === value

const neg = (b: Builder, id: NodeId): NodeId | undefined => operandOf(b, id, 'neg')

// ---- powers and roots ----

// x ^ 0 -> 1   (exact in IEEE arithmetic, even for NaN)
const powZero = onOps(['pow'], (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 0) ? b.scalarLike(1, p[0]) : undefined
})

// x ^ 1 -> x
const powOne = onOps(['pow'], (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 1) ? p[0] : undefined
})

// x ^ 2 -> square(x)
// square is the canonical form: one op and no exponent constant, a cheaper
// kernel, a derivative (2*x) without pow's log(x) term for the exponent, and
// `x * x -> square(x)` lands on the same node, so CSE sees both spellings.
const powTwo = onOps(['pow'], (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 2) ? b.square(p[0]) : undefined
})

// x ^ -1 -> 1 / x
const powMinusOne = onOps(['pow'], (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], -1) ? b.div(b.scalarLike(1, p[0]), p[0]) : undefined
})

// x ^ 0.5 -> sqrt(x)   (they differ only at -0 and -Infinity)
const powHalf = onOps(['pow'], (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 0.5) ? b.sqrt(p[0]) : undefined
})

// sqrt(square(x)) -> abs(x)
const sqrtSquare = onOps(['sqrt'], (b, _id, n) => {
  const x = n.op === 'sqrt' ? operandOf(b, n.inputs[0]!, 'square') : undefined
  return x === undefined ? undefined : b.abs(x)
})

// Ops whose value is never negative, whatever their operands.
const nonNegativeOp = (op: OpName): boolean => ops[op].sign?.nonNegative === 'always'

// abs(x) -> x   where x >= 0: abs(abs x) -> abs x, abs(square x) -> square x, abs(exp x) -> exp x, ...
const absNonNegative = onOps(['abs'], (b, _id, n) => {
  if (n.op !== 'abs') return undefined
  const x = n.inputs[0]!
  return nonNegativeOp(b.node(x).op) || isPositive(b, x) ? x : undefined
})

// abs(-x) -> abs(x)
const absNeg = onOps(['abs'], (b, _id, n) => {
  const x = n.op === 'abs' ? neg(b, n.inputs[0]!) : undefined
  return x === undefined ? undefined : b.abs(x)
})

// square(-x) -> square(x),  square(abs x) -> square(x)
const squareSign = onOps(['square'], (b, _id, n) => {
  if (n.op !== 'square') return undefined
  const x = neg(b, n.inputs[0]!) ?? operandOf(b, n.inputs[0]!, 'abs')
  return x === undefined ? undefined : b.square(x)
})

// log(exp(x)) -> x   (the converse, exp(log x) -> x, is wrong for x <= 0 and is left alone)
const logExp = onOps(['log'], (b, _id, n) => (n.op === 'log' ? operandOf(b, n.inputs[0]!, 'exp') : undefined))

// ---- guarded products and selections ----

// mulNoNan(0, y) -> 0
const mulNoNanZero = onOps(['mulNoNan'], (b, _id, n) => {
  const p = pair(n, 'mulNoNan')
  return p !== undefined && is(b, p[0], 0) ? p[0] : undefined
})

// mulNoNan(-a, b) -> -mulNoNan(a, b),  mulNoNan(a, -b) -> -mulNoNan(a, b)
// (the sign moves out to where sums and products gather it)
const mulNoNanNeg = onOps(['mulNoNan'], (b, _id, n) => {
  const p = pair(n, 'mulNoNan')
  if (p === undefined) return undefined
  const na = neg(b, p[0])
  if (na !== undefined) return b.neg(b.mulNoNan(na, p[1]))
  const nb = neg(b, p[1])
  return nb === undefined ? undefined : b.neg(b.mulNoNan(p[0], nb))
})

// mulNoNan(a, y) -> a * y   where a is provably nonzero (they differ only where a is 0)
const mulNoNanNonZero = onOps(['mulNoNan'], (b, _id, n) => {
  const p = pair(n, 'mulNoNan')
  return p !== undefined && isNonZero(b, p[0]) ? b.mul(p[0], p[1]) : undefined
})

// mulNoNan(x, b) -> x * b   where b is provably finite (then x = 0 gives 0 either way):
// a constant, or a polynomial such as the 2*x of d/dx x^2, but not the 1/x of d/dx log x
const mulNoNanFinite = onOps(['mulNoNan'], (b, _id, n) => {
  const p = pair(n, 'mulNoNan')
  return p !== undefined && isFiniteValued(b, p[1]) ? b.mul(p[0], p[1]) : undefined
})

// where(1, a, b) -> a,  where(0, a, b) -> b   (any uniform condition)
const whereConstant = onOps(['where'], (b, _id, n) => {
  if (n.op !== 'where') return undefined
  const c = constantValue(b, n.inputs[0]!)
  return c === undefined ? undefined : c !== 0 ? n.inputs[1] : n.inputs[2]
})

// where(c, a, a) -> a
const whereSame = onOps(['where'], (_b, _id, n) =>
  n.op === 'where' && n.inputs[1] === n.inputs[2] ? n.inputs[1] : undefined)

// max(x, x) -> x,  min(x, x) -> x
const extremumSame = onOps(['max', 'min'], (_b, _id, n) =>
  (n.op === 'max' || n.op === 'min') && n.inputs[0] === n.inputs[1] ? n.inputs[0] : undefined)

// stopGradient(c) -> c   (a constant has no gradient to stop)
const stopGradientConstant = onOps(['stopGradient'], (b, _id, n) =>
  n.op === 'stopGradient' && isConst(b, n.inputs[0]!) ? n.inputs[0] : undefined)

/**
 * Algebraic identities of the arithmetic ops:
 *
 * - sums and products gathered as a whole ({@link sumRules}, {@link productRules}):
 *   `x + x -> 2*x`, `x - x -> 0`, `a + (-b) -> a - b`, `2*(x*3) -> 6*x`,
 *   `x*x -> square(x)`, `exp(x)/exp(x) -> 1`, `x*0 -> 0`, ... in one canonical order;
 * - powers: `x^0 -> 1`, `x^1 -> x`, `x^2 -> square(x)` (the canonical form of a
 *   square), `x^-1 -> 1/x`, `x^0.5 -> sqrt(x)`, `sqrt(square x) -> abs(x)`,
 *   `abs(x) -> x` for x >= 0 (so `abs(abs x) -> abs x`), `abs(-x) -> abs x`,
 *   `square(-x) -> square x`, `square(abs x) -> square x`, `log(exp x) -> x`
 *   (`exp(log x)` is left alone: it is not x for x <= 0);
 * - `mulNoNan(0, y) -> 0`, `mulNoNan(-a, b) -> -mulNoNan(a, b)` (and for `-b`),
 *   `mulNoNan(a, y) -> a*y` for a provably nonzero a,
 *   `mulNoNan(x, b) -> x*b` for a provably finite b ({@link isFiniteValued}),
 *   `where(1, a, b) -> a`, `where(0, a, b) -> b`, `where(c, a, a) -> a`,
 *   `max(x, x) -> x`, `stopGradient(c) -> c`.
 *
 * Like symbolic algebra systems, the rules assume finite values: `x * 0 -> 0`
 * and `x - x -> 0` differ from IEEE arithmetic only where x is infinite or
 * NaN.
 *
 * @category Rewrites
 */
export const arithmeticRules: readonly Rewrite[] = [
  ...sumRules,
  ...productRules,
  powZero,
  powOne,
  powTwo,
  powMinusOne,
  powHalf,
  sqrtSquare,
  absNonNegative,
  absNeg,
  squareSign,
  logExp,
  mulNoNanZero,
  mulNoNanNeg,
  mulNoNanNonZero,
  mulNoNanFinite,
  whereConstant,
  whereSame,
  extremumSame,
  stopGradientConstant,
]
