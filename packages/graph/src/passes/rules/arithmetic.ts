// Algebraic identities of the arithmetic ops. Each rule is one pattern with its
// algebra in the comment above it; operands are already simplified when a rule
// runs, and whatever a rule builds through `b` is simplified in turn.
//
// Like symbolic algebra systems, these rules treat every value as a finite
// real number: `x * 0 -> 0` and `x - x -> 0` are wrong for x = ±Infinity or
// NaN, where the unrewritten graph gives NaN. Rules that divide need a proof
// that the divisor is nonzero (`isNonZero`).
import type { Node, NodeId } from '../../graph.js'
import type { OpName } from '../../ops.js'
import type { Builder } from '../../builder.js'
import { constantValue, isConst, operandOf, term } from '../match.js'
import { isNonZero, isPositive } from '../nonzero.js'
import type { Rewrite } from '../rewrite.js'
import { valuesOf } from '../tensor.js'

type Pair = readonly [NodeId, NodeId]

/** The two operands of `n` when it is a node of `op`. */
const pair = (n: Node, op: OpName): Pair | undefined =>
  n.op === op ? (n.inputs as unknown as Pair) : undefined

const is = (b: Builder, id: NodeId, value: number): boolean => constantValue(b, id) === value

const neg = (b: Builder, id: NodeId): NodeId | undefined => operandOf(b, id, 'neg')

/** A `c * x` with constant `c` (any values), as `[c, x]`. */
const scaled = (b: Builder, id: NodeId): Pair | undefined => {
  const p = pair(b.node(id), 'mul')
  if (p === undefined) return undefined
  if (isConst(b, p[0]) && !isConst(b, p[1])) return p
  if (isConst(b, p[1]) && !isConst(b, p[0])) return [p[1], p[0]]
  return undefined
}

// ---- sums and differences ----

// x + 0 -> x,  0 + x -> x
const addZero: Rewrite = (b, _id, n) => {
  const p = pair(n, 'add')
  if (p === undefined) return undefined
  return is(b, p[1], 0) ? p[0] : is(b, p[0], 0) ? p[1] : undefined
}

// x - 0 -> x
const subZero: Rewrite = (b, _id, n) => {
  const p = pair(n, 'sub')
  return p !== undefined && is(b, p[1], 0) ? p[0] : undefined
}

// 0 - x -> -x
const zeroSub: Rewrite = (b, _id, n) => {
  const p = pair(n, 'sub')
  return p !== undefined && is(b, p[0], 0) ? b.neg(p[1]) : undefined
}

// x - x -> 0   (x finite)
const subSelf: Rewrite = (b, _id, n) => {
  const p = pair(n, 'sub')
  return p !== undefined && p[0] === p[1] ? b.scalarLike(0, p[0]) : undefined
}

// --x -> x
const negNeg: Rewrite = (b, _id, n) => (n.op === 'neg' ? neg(b, n.inputs[0]!) : undefined)

// -(a - b) -> b - a
const negSub: Rewrite = (b, _id, n) => {
  if (n.op !== 'neg') return undefined
  const p = pair(b.node(n.inputs[0]!), 'sub')
  return p === undefined ? undefined : b.sub(p[1], p[0])
}

// -(c * x) -> (-c) * x   (the sign goes into the constant)
const negScaled: Rewrite = (b, _id, n) => {
  if (n.op !== 'neg') return undefined
  const s = scaled(b, n.inputs[0]!)
  return s === undefined ? undefined : b.mul(b.neg(s[0]), s[1])
}

// a + (-b) -> a - b,  (-a) + b -> b - a
const addNeg: Rewrite = (b, _id, n) => {
  const p = pair(n, 'add')
  if (p === undefined) return undefined
  const nb = neg(b, p[1])
  if (nb !== undefined) return b.sub(p[0], nb)
  const na = neg(b, p[0])
  return na === undefined ? undefined : b.sub(p[1], na)
}

// a - (-b) -> a + b
const subNeg: Rewrite = (b, _id, n) => {
  const p = pair(n, 'sub')
  const nb = p && neg(b, p[1])
  return p === undefined || nb === undefined ? undefined : b.add(p[0], nb)
}

// (-a) - b -> -(a + b)
const negMinus: Rewrite = (b, _id, n) => {
  const p = pair(n, 'sub')
  const na = p && neg(b, p[0])
  return p === undefined || na === undefined ? undefined : b.neg(b.add(na, p[1]))
}

// a + c*x -> a - (-c)*x   when c < 0, so that `x - 2*y` does not print as `x + -2*y`
const addNegativeTerm: Rewrite = (b, _id, n) => {
  const p = pair(n, 'add')
  if (p === undefined) return undefined
  for (const [a, t] of [p, [p[1], p[0]] as const]) {
    const s = scaled(b, t)
    const c = s && constantValue(b, s[0])
    if (s !== undefined && c !== undefined && c < 0) return b.sub(a, b.mul(b.neg(s[0]), s[1]))
  }
  return undefined
}

// a - c*x -> a + (-c)*x   when c < 0
const subNegativeTerm: Rewrite = (b, _id, n) => {
  const p = pair(n, 'sub')
  const s = p && scaled(b, p[1])
  const c = s && constantValue(b, s[0])
  return p === undefined || s === undefined || c === undefined || !(c < 0)
    ? undefined
    : b.add(p[0], b.mul(b.neg(s[0]), s[1]))
}

// x + x -> 2*x,  c*x + d*x -> (c+d)*x,  x + c*x -> (1+c)*x
const addLikeTerms: Rewrite = (b, _id, n) => {
  const p = pair(n, 'add')
  if (p === undefined) return undefined
  const [c, x] = term(b, p[0])
  const [d, y] = term(b, p[1])
  return x === y && !isConst(b, x) ? b.mul(b.scalarLike(c + d, x), x) : undefined
}

// c*x - d*x -> (c-d)*x,  x - c*x -> (1-c)*x,  c*x - x -> (c-1)*x
const subLikeTerms: Rewrite = (b, _id, n) => {
  const p = pair(n, 'sub')
  if (p === undefined) return undefined
  const [c, x] = term(b, p[0])
  const [d, y] = term(b, p[1])
  return x === y && !isConst(b, x) ? b.mul(b.scalarLike(c - d, x), x) : undefined
}

// c1 + (c2 + x) -> (c1 + c2) + x
const addConstants: Rewrite = (b, _id, n) => {
  const p = pair(n, 'add')
  if (p === undefined) return undefined
  for (const [c, s] of [p, [p[1], p[0]] as const]) {
    const inner = isConst(b, c) ? pair(b.node(s), 'add') : undefined
    if (inner === undefined) continue
    if (isConst(b, inner[0])) return b.add(b.add(c, inner[0]), inner[1])
    if (isConst(b, inner[1])) return b.add(b.add(c, inner[1]), inner[0])
  }
  return undefined
}

// ---- products ----

// x * 1 -> x,  1 * x -> x
const mulOne: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  if (p === undefined) return undefined
  return is(b, p[1], 1) ? p[0] : is(b, p[0], 1) ? p[1] : undefined
}

// x * 0 -> 0,  0 * x -> 0   (x finite)
const mulZero: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  if (p === undefined) return undefined
  return is(b, p[1], 0) ? p[1] : is(b, p[0], 0) ? p[0] : undefined
}

// (-1) * x -> -x,  x * (-1) -> -x
const mulMinusOne: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  if (p === undefined) return undefined
  return is(b, p[0], -1) ? b.neg(p[1]) : is(b, p[1], -1) ? b.neg(p[0]) : undefined
}

// x * x -> square(x)
const mulSelf: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  return p !== undefined && p[0] === p[1] ? b.square(p[0]) : undefined
}

// (-a) * b -> -(a * b),  a * (-b) -> -(a * b)
const mulNeg: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  if (p === undefined) return undefined
  const na = neg(b, p[0])
  if (na !== undefined) return b.neg(b.mul(na, p[1]))
  const nb = neg(b, p[1])
  return nb === undefined ? undefined : b.neg(b.mul(p[0], nb))
}

// c1 * (c2 * x) -> (c1 * c2) * x
const mulConstants: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  if (p === undefined) return undefined
  for (const [c, t] of [p, [p[1], p[0]] as const]) {
    const s = isConst(b, c) ? scaled(b, t) : undefined
    if (s !== undefined) return b.mul(b.mul(c, s[0]), s[1])
  }
  return undefined
}

// (c * x) * y -> c * (x * y)   (y not constant: constants move outwards to meet)
const mulPullConstant: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  if (p === undefined) return undefined
  for (const [t, y] of [p, [p[1], p[0]] as const]) {
    const s = isConst(b, y) ? undefined : scaled(b, t)
    if (s !== undefined) return b.mul(s[0], b.mul(s[1], y))
  }
  return undefined
}

// ---- quotients ----

// x / 1 -> x
const divOne: Rewrite = (b, _id, n) => {
  const p = pair(n, 'div')
  return p !== undefined && is(b, p[1], 1) ? p[0] : undefined
}

// x / (-1) -> -x
const divMinusOne: Rewrite = (b, _id, n) => {
  const p = pair(n, 'div')
  return p !== undefined && is(b, p[1], -1) ? b.neg(p[0]) : undefined
}

// 0 / x -> 0   where x is provably nonzero
const zeroDiv: Rewrite = (b, _id, n) => {
  const p = pair(n, 'div')
  return p !== undefined && is(b, p[0], 0) && isNonZero(b, p[1]) ? p[0] : undefined
}

// x / x -> 1   where x is provably nonzero
const divSelf: Rewrite = (b, _id, n) => {
  const p = pair(n, 'div')
  return p !== undefined && p[0] === p[1] && isNonZero(b, p[0]) ? b.scalarLike(1, p[0]) : undefined
}

// (-a) / b -> -(a / b),  a / (-b) -> -(a / b)
const divNeg: Rewrite = (b, _id, n) => {
  const p = pair(n, 'div')
  if (p === undefined) return undefined
  const na = neg(b, p[0])
  if (na !== undefined) return b.neg(b.div(na, p[1]))
  const nb = neg(b, p[1])
  return nb === undefined ? undefined : b.neg(b.div(p[0], nb))
}

// (c * x) / d -> (c / d) * x
const divScaledByConstant: Rewrite = (b, _id, n) => {
  const p = pair(n, 'div')
  const s = p && isConst(b, p[1]) ? scaled(b, p[0]) : undefined
  return p === undefined || s === undefined ? undefined : b.mul(b.div(s[0], p[1]), s[1])
}

// c * (x / d) -> (c / d) * x
const mulQuotientByConstant: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mul')
  if (p === undefined) return undefined
  for (const [c, q] of [p, [p[1], p[0]] as const]) {
    const d = isConst(b, c) ? pair(b.node(q), 'div') : undefined
    if (d !== undefined && isConst(b, d[1]) && !isConst(b, d[0])) return b.mul(b.div(c, d[1]), d[0])
  }
  return undefined
}

// (c * x) / y -> c * (x / y)   (y not constant)
const divPullConstant: Rewrite = (b, _id, n) => {
  const p = pair(n, 'div')
  const s = p && !isConst(b, p[1]) ? scaled(b, p[0]) : undefined
  return p === undefined || s === undefined ? undefined : b.mul(s[0], b.div(s[1], p[1]))
}

// ---- powers and roots ----

// x ^ 0 -> 1   (exact in IEEE arithmetic, even for NaN)
const powZero: Rewrite = (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 0) ? b.scalarLike(1, p[0]) : undefined
}

// x ^ 1 -> x
const powOne: Rewrite = (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 1) ? p[0] : undefined
}

// x ^ 2 -> square(x)
// square is the canonical form: one op and no exponent constant, a cheaper
// kernel, a derivative (2*x) without pow's log(x) term for the exponent, and
// `x * x -> square(x)` lands on the same node, so CSE sees both spellings.
const powTwo: Rewrite = (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 2) ? b.square(p[0]) : undefined
}

// x ^ -1 -> 1 / x
const powMinusOne: Rewrite = (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], -1) ? b.div(b.scalarLike(1, p[0]), p[0]) : undefined
}

// x ^ 0.5 -> sqrt(x)   (they differ only at -0 and -Infinity)
const powHalf: Rewrite = (b, _id, n) => {
  const p = pair(n, 'pow')
  return p !== undefined && is(b, p[1], 0.5) ? b.sqrt(p[0]) : undefined
}

// sqrt(square(x)) -> abs(x)
const sqrtSquare: Rewrite = (b, _id, n) => {
  const x = n.op === 'sqrt' ? operandOf(b, n.inputs[0]!, 'square') : undefined
  return x === undefined ? undefined : b.abs(x)
}

// Ops whose value is never negative.
const nonNegativeOps: ReadonlySet<OpName> = new Set<OpName>([
  'abs', 'square', 'sqrt', 'exp', 'sigmoid', 'softplus', 'relu', 'softmax',
])

// abs(x) -> x   where x >= 0: abs(abs x) -> abs x, abs(square x) -> square x, abs(exp x) -> exp x, ...
const absNonNegative: Rewrite = (b, _id, n) => {
  if (n.op !== 'abs') return undefined
  const x = n.inputs[0]!
  return nonNegativeOps.has(b.node(x).op) || isPositive(b, x) ? x : undefined
}

// abs(-x) -> abs(x)
const absNeg: Rewrite = (b, _id, n) => {
  const x = n.op === 'abs' ? neg(b, n.inputs[0]!) : undefined
  return x === undefined ? undefined : b.abs(x)
}

// square(-x) -> square(x),  square(abs x) -> square(x)
const squareSign: Rewrite = (b, _id, n) => {
  if (n.op !== 'square') return undefined
  const x = neg(b, n.inputs[0]!) ?? operandOf(b, n.inputs[0]!, 'abs')
  return x === undefined ? undefined : b.square(x)
}

// log(exp(x)) -> x   (the converse, exp(log x) -> x, is wrong for x <= 0 and is left alone)
const logExp: Rewrite = (b, _id, n) => (n.op === 'log' ? operandOf(b, n.inputs[0]!, 'exp') : undefined)

// ---- guarded products and selections ----

// mulNoNan(0, y) -> 0
const mulNoNanZero: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mulNoNan')
  return p !== undefined && is(b, p[0], 0) ? p[0] : undefined
}

// mulNoNan(c, y) -> c * y   where the constant c has no zero element
const mulNoNanNonZero: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mulNoNan')
  return p !== undefined && isConst(b, p[0]) && isNonZero(b, p[0]) ? b.mul(p[0], p[1]) : undefined
}

// mulNoNan(x, c) -> x * c   where the constant c is finite (then x = 0 gives 0 either way)
const mulNoNanFinite: Rewrite = (b, _id, n) => {
  const p = pair(n, 'mulNoNan')
  if (p === undefined || !isConst(b, p[1])) return undefined
  return valuesOf(b.node(p[1])).every(Number.isFinite) ? b.mul(p[0], p[1]) : undefined
}

// where(1, a, b) -> a,  where(0, a, b) -> b   (any uniform condition)
const whereConstant: Rewrite = (b, _id, n) => {
  if (n.op !== 'where') return undefined
  const c = constantValue(b, n.inputs[0]!)
  return c === undefined ? undefined : c !== 0 ? n.inputs[1] : n.inputs[2]
}

// where(c, a, a) -> a
const whereSame: Rewrite = (_b, _id, n) =>
  n.op === 'where' && n.inputs[1] === n.inputs[2] ? n.inputs[1] : undefined

// max(x, x) -> x,  min(x, x) -> x
const extremumSame: Rewrite = (_b, _id, n) =>
  (n.op === 'max' || n.op === 'min') && n.inputs[0] === n.inputs[1] ? n.inputs[0] : undefined

// stopGradient(c) -> c   (a constant has no gradient to stop)
const stopGradientConstant: Rewrite = (b, _id, n) =>
  n.op === 'stopGradient' && isConst(b, n.inputs[0]!) ? n.inputs[0] : undefined

/**
 * Algebraic identities of the arithmetic ops, one small named rule each:
 *
 * - sums: `x + 0 -> x`, `0 + x -> x`, `x - 0 -> x`, `0 - x -> -x`, `x - x -> 0`,
 *   `--x -> x`, `-(a - b) -> b - a`, `-(c*x) -> (-c)*x`, `a + (-b) -> a - b`,
 *   `a - (-b) -> a + b`, `(-a) - b -> -(a + b)`, `a + c*x -> a - |c|*x` for c < 0
 *   (and its mirror), `x + x -> 2*x`, `c*x + d*x -> (c+d)*x`, `c*x - d*x -> (c-d)*x`,
 *   `c1 + (c2 + x) -> (c1+c2) + x`;
 * - products: `x*1 -> x`, `x*0 -> 0`, `(-1)*x -> -x`, `x*x -> square(x)`,
 *   `(-a)*b -> -(a*b)`, `c1*(c2*x) -> (c1*c2)*x`, `(c*x)*y -> c*(x*y)`;
 * - quotients: `x/1 -> x`, `x/(-1) -> -x`, `0/x -> 0` and `x/x -> 1` for provably
 *   nonzero x, `(-a)/b -> -(a/b)`, `a/(-b) -> -(a/b)`, `(c*x)/d -> (c/d)*x`,
 *   `c*(x/d) -> (c/d)*x`, `(c*x)/y -> c*(x/y)`;
 * - powers: `x^0 -> 1`, `x^1 -> x`, `x^2 -> square(x)` (the canonical form of a
 *   square), `x^-1 -> 1/x`, `x^0.5 -> sqrt(x)`, `sqrt(square x) -> abs(x)`,
 *   `abs(x) -> x` for x >= 0 (so `abs(abs x) -> abs x`), `abs(-x) -> abs x`,
 *   `square(-x) -> square x`, `square(abs x) -> square x`, `log(exp x) -> x`
 *   (`exp(log x)` is left alone: it is not x for x <= 0);
 * - `mulNoNan(0, y) -> 0`, `mulNoNan(c, y) -> c*y` for a nonzero constant c,
 *   `mulNoNan(x, c) -> x*c` for a finite constant c, `where(1, a, b) -> a`,
 *   `where(0, a, b) -> b`, `where(c, a, a) -> a`, `max(x, x) -> x`,
 *   `stopGradient(c) -> c`.
 *
 * Like symbolic algebra systems, the rules assume finite values: `x * 0 -> 0`
 * and `x - x -> 0` differ from IEEE arithmetic only where x is infinite or
 * NaN.
 *
 * @category Rewrites
 */
export const arithmeticRules: readonly Rewrite[] = [
  addZero,
  subZero,
  zeroSub,
  subSelf,
  negNeg,
  negSub,
  negScaled,
  addNeg,
  subNeg,
  negMinus,
  addLikeTerms,
  subLikeTerms,
  addNegativeTerm,
  subNegativeTerm,
  addConstants,
  mulOne,
  mulZero,
  mulMinusOne,
  mulSelf,
  mulNeg,
  mulConstants,
  mulPullConstant,
  divOne,
  divMinusOne,
  zeroDiv,
  divSelf,
  divNeg,
  divScaledByConstant,
  mulQuotientByConstant,
  divPullConstant,
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
  mulNoNanNonZero,
  mulNoNanFinite,
  whereConstant,
  whereSame,
  extremumSame,
  stopGradientConstant,
]
