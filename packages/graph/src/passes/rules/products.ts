// Gathering products. A chain of mul, div and neg nodes is read as a
// coefficient times factors with integer exponents (square(u) is u^2, and
// pow(u, k) with an integer constant k is u^k); equal factors merge, a factor
// above and below the line cancels where it is provably nonzero, and the
// product is rebuilt in one canonical order: c*f1*f2/(g1*g2).
//
// Linear time: a chain node is descended into only when the graph uses it
// once or it is a constant times or over a single factor (a shared
// subexpression stays one node, a "head" of the chain, and is not copied into
// each consumer), and at most `maxDescend` of them per node.
import type { Node, NodeId } from '../../graph.js'
import { type DType, type Shape, sameShape } from '../../shape.js'
import { isNonZero } from '../nonzero.js'
import { onOps, type Rewrite } from '../rewrite.js'
import type { RewriteContext } from '../rule-context.js'
import { splatOf } from '../tensor.js'

// Chain nodes one gathering may descend into.
const maxDescend = 16

// Largest integer exponent read from pow(u, k).
const maxExponent = 64

// Sort classes of factors: shared chains (heads) first, then scalar-shaped
// factors (cheap to multiply first in a tensor product), tensor constants,
// and the rest; within a class by id.
const HEAD = 0
const SCALAR = 1
const CONSTANT = 2
const OTHER = 3

interface Factor {
  readonly id: NodeId
  readonly order: number
  /** Exponent above the line. */
  up: number
  /** Exponent below the line. */
  down: number
}

interface Gathering {
  /** Coefficient: num / den. */
  num: number
  den: number
  readonly factors: Factor[]
  /** Chain nodes still to descend into. */
  budget: number
  readonly shape: Shape
  /** A division by a zero constant was seen: the product is left as it is. */
  zeroDivisor: boolean
}

const isChain = (n: Node): boolean => n.op === 'mul' || n.op === 'div'

const orderOf = (n: Node, head: boolean): number =>
  head ? HEAD : n.shape.length === 0 ? SCALAR : n.op === 'const' ? CONSTANT : OTHER

/** A factor the gathering takes as it is: no chain, constant, sign or power. */
const isPlain = (n: Node): boolean =>
  !isChain(n) && n.op !== 'const' && n.op !== 'neg' && n.op !== 'square' && n.op !== 'pow'

const compareIds = (orderA: number, a: NodeId, orderB: number, b: NodeId): number => orderA - orderB || a - b

const compare = (a: Factor, b: Factor): number => compareIds(a.order, a.id, b.order, b.id)

/** True for two plain factors out of order, `y*x`, which the gathering writes `x*y`. */
const plainPairSwapped = (b: RewriteContext, p: NodeId, q: NodeId): boolean => {
  if (p === q) return false
  const a = b.node(p)
  const x = b.node(q)
  return isPlain(a) && isPlain(x) && compareIds(orderOf(a, false), p, orderOf(x, false), q) > 0
}

/**
 * True for a constant times or over a factor that is not a product itself,
 * such as the `0.5/sqrt(s)` of a derivative rule: gathering it into each of
 * its consumers copies one node, and lets its constant meet theirs.
 */
const isShort = (b: RewriteContext, n: Node): boolean => {
  const x = b.node(n.inputs[0]!)
  const y = b.node(n.inputs[1]!)
  return !isChain(x) && !isChain(y) && (splatOf(x) !== undefined || splatOf(y) !== undefined)
}

/** The integer exponent of `pow(u, k)` when k is a small integer constant. */
const integerExponent = (b: RewriteContext, n: Node): number | undefined => {
  const k = splatOf(b.node(n.inputs[1]!))
  return k !== undefined && Number.isInteger(k) && Math.abs(k) <= maxExponent ? k : undefined
}

const addFactor = (b: RewriteContext, g: Gathering, id: NodeId, exponent: number, head: boolean): void => {
  let f: Factor | undefined
  for (const x of g.factors) if (x.id === id) f = x
  if (f === undefined) g.factors.push((f = { id, order: orderOf(b.node(id), head), up: 0, down: 0 }))
  if (exponent > 0) f.up += exponent
  else f.down -= exponent
}

/** Reads node `id` into the gathering, above the line or (`down`) below it. */
const visit = (b: RewriteContext, g: Gathering, id: NodeId, down: boolean): void => {
  const n = b.node(id)
  const sign = down ? -1 : 1
  switch (n.op) {
    case 'const': {
      const v = splatOf(n)
      if (v === undefined) break
      if (down && v === 0) g.zeroDivisor = true
      else if (down) g.den *= v
      else g.num *= v
      return
    }
    case 'neg':
      g.num = -g.num
      visit(b, g, n.inputs[0]!, down)
      return
    case 'mul':
    case 'div': {
      const shared = b.usesOf(id) > 1 && !isShort(b, n)
      if (!shared && sameShape(n.shape, g.shape) && g.budget-- > 0) {
        visit(b, g, n.inputs[0]!, down)
        visit(b, g, n.inputs[1]!, n.op === 'div' ? !down : down)
        return
      }
      if (shared) b.noteKept(id, 'product')
      addFactor(b, g, id, sign, true)
      return
    }
    case 'square':
      addFactor(b, g, n.inputs[0]!, 2 * sign, false)
      return
    case 'pow': {
      const k = integerExponent(b, n)
      if (k !== undefined && sameShape(b.node(n.inputs[0]!).shape, n.shape)) {
        addFactor(b, g, n.inputs[0]!, k * sign, false)
        return
      }
      break
    }
  }
  addFactor(b, g, id, sign, false)
}

/** True when `n / d` is a number computed exactly (so `c*x/d` may become `(c/d)*x`). */
const exactQuotient = (n: number, d: number): boolean => {
  const q = n / d
  if (!Number.isFinite(q) || q * d !== n) return false
  return Number.isInteger(Math.log2(Math.abs(d))) || (Number.isSafeInteger(n) && Number.isSafeInteger(d) && n % d === 0)
}

const constant = (b: RewriteContext, value: number, dtype: DType): NodeId =>
  b.scalar(dtype === 'f32' ? Math.fround(value) : value, dtype)

/** `u^k` for k >= 1: u, square(u), or pow(u, k). */
const power = (b: RewriteContext, u: NodeId, k: number): NodeId =>
  k === 1 ? u : k === 2 ? b.square(u) : b.pow(u, constant(b, k, b.node(u).dtype))

/** The left-nested product of `parts`; its last link is a head when `final`. */
const chain = (b: RewriteContext, parts: readonly NodeId[], final: boolean): NodeId => {
  let acc = parts[0]!
  for (let i = 1; i < parts.length; i++) {
    acc = final && i === parts.length - 1 ? b.applyHead('mul', [acc, parts[i]!]) : b.applyLink('mul', [acc, parts[i]!])
  }
  return acc
}

/** The gathered product in canonical form, or undefined to leave the node as it is. */
const rebuild = (b: RewriteContext, g: Gathering, node: Node): NodeId | undefined => {
  if (g.zeroDivisor) return undefined
  const { factors } = g
  for (const f of factors) {
    if (f.up > 0 && f.down > 0 && isNonZero(b, f.id)) {
      const m = Math.min(f.up, f.down)
      f.up -= m
      f.down -= m
    }
  }
  let num = g.num
  let den = g.den
  if (num === 0) {
    // 0 * x -> 0 (x finite), but 0 / x only where x is provably nonzero.
    for (const f of factors) if (f.down > 0 && !isNonZero(b, f.id)) return undefined
    return constant(b, 0, node.dtype)
  }
  if (den < 0) {
    num = -num
    den = -den
  }
  if (den !== 1 && exactQuotient(num, den)) {
    num /= den
    den = 1
  }
  factors.sort(compare)
  const ups = factors.filter((f) => f.up > 0)
  const downs = factors.filter((f) => f.down > 0)
  // -(x*y), not (-1)*x*y; but -1/x keeps its constant.
  const negate = num === -1 && ups.length > 0
  const c = negate ? 1 : num
  const top: NodeId[] = []
  if (c !== 1 || ups.length === 0) top.push(constant(b, c, node.dtype))
  for (const f of ups) top.push(power(b, f.id, f.up))
  const bottom: NodeId[] = []
  if (den !== 1) bottom.push(constant(b, den, node.dtype))
  for (const f of downs) bottom.push(power(b, f.id, f.down))
  if (bottom.length === 0 && !negate) return chain(b, top, true)
  const numerator = chain(b, top, false)
  const divide = (): NodeId => {
    const operands = [numerator, chain(b, bottom, false)]
    return negate ? b.applyLink('div', operands) : b.applyHead('div', operands)
  }
  const quotient = bottom.length === 0 ? numerator : divide()
  if (!negate) return quotient
  // The negation of a sum is the sum rules' to write: -(a - b) -> b - a.
  const op = b.node(quotient).op
  return op === 'add' || op === 'sub' ? b.neg(quotient) : b.applyHead('neg', [quotient])
}

/** The factor that orders a product's last link `id`: the base of a power, or itself. */
const lastFactor = (b: RewriteContext, id: NodeId): readonly [NodeId, number] => {
  const n = b.node(id)
  if (n.op === 'square' || (n.op === 'pow' && integerExponent(b, n) !== undefined)) {
    const u = n.inputs[0]!
    return [u, orderOf(b.node(u), false)]
  }
  return [id, orderOf(n, isChain(n))]
}

/**
 * True when `mul(acc, f)` is canonical as it is, seen without gathering: `f`
 * is a plain factor and `acc` either another that sorts before it, a chain
 * the gathering would not enter, or a canonical product whose factors all
 * sort before `f`. These are the commonest products, and the last keeps a
 * product that grows one factor at a time linear.
 */
const appendsInOrder = (b: RewriteContext, n: Node): boolean => {
  if (n.op !== 'mul') return false
  const [acc, f] = n.inputs as [NodeId, NodeId]
  const a = b.node(acc)
  const x = b.node(f)
  if (!isPlain(x)) return false
  // Two plain factors in order (the commonest product of all).
  if (isPlain(a)) return acc !== f && compareIds(orderOf(a, false), acc, orderOf(x, false), f) < 0
  if (a.op !== 'mul') return false
  if (!sameShape(a.shape, n.shape)) return true
  if (b.usesOf(acc) > 1 && !isShort(b, a)) {
    b.noteKept(acc, 'product')
    return true
  }
  if (b.canonicalMark(acc) === 0) return false
  const [last, order] = lastFactor(b, a.inputs[1]!)
  return compareIds(order, last, orderOf(x, false), f) < 0
}

// c*x*y/(u*v), with the sign in c, equal factors merged into powers and
// factors above and below the line cancelled where provably nonzero.
const gatherProducts: Rewrite = onOps(['mul', 'div', 'neg'], (b, id, n) => {
  if (n.op === 'neg') {
    // The negation of a sum is the sum rules' to rewrite.
    const x = b.node(n.inputs[0]!).op
    if (x === 'add' || x === 'sub') return undefined
  } else if (!isChain(n)) {
    return undefined
  }
  if (b.canonicalMark(id) !== 0) return undefined
  if (appendsInOrder(b, n)) {
    b.markCanonical(id)
    return undefined
  }
  // y*x -> x*y for two plain factors, without gathering.
  const [p, q] = n.inputs as [NodeId, NodeId]
  if (n.op === 'mul' && plainPairSwapped(b, p, q)) return b.applyHead('mul', [q, p])
  const g: Gathering = { num: 1, den: 1, factors: [], budget: maxDescend, shape: n.shape, zeroDivisor: false }
  if (n.op === 'neg') {
    g.num = -1
    visit(b, g, n.inputs[0]!, false)
  } else {
    visit(b, g, n.inputs[0]!, false)
    visit(b, g, n.inputs[1]!, n.op === 'div')
  }
  const result = rebuild(b, g, n)
  if (result === id) b.markCanonical(id)
  return result
}, (b, op, p, q) => op === 'mul' && plainPairSwapped(b, p, q))

/**
 * Gathers a product: reads a chain of `mul`, `div` and `neg` nodes as a
 * coefficient times factors with integer exponents and rebuilds it as
 * `c*f1*f2/(g1*g2)`, so that
 *
 * - constants gather into one coefficient (`2*(x*3) -> 6*x`, `(4*x)/2 -> 2*x`,
 *   and `x/3` stays a quotient rather than becoming `0.333...*x`), and signs
 *   into it (`(-a)*b -> -(a*b)`, `-(2*x) -> -2*x`);
 * - equal factors merge (`x*x -> square(x)`, `square(x)*x -> x^3`), and a
 *   factor above and below the line cancels where it is provably nonzero
 *   (`exp(x)/exp(x) -> 1`, but `x/x` stays);
 * - `x*0 -> 0`, and `0/x -> 0` for provably nonzero x;
 * - factors come in one order: shared chains first, then scalar-shaped
 *   factors, tensor constants, the rest, each by id; so `y*x` and `x*y` are
 *   one node.
 *
 * A chain node is gathered only when its shape is the product's and the graph
 * uses it once (or it is a constant times or over one factor, such as the
 * `0.5/sqrt(s)` of a derivative rule), and at most 16 of them per product:
 * shared subexpressions stay shared, and a sweep stays linear in the graph's
 * size.
 *
 * @category Rewrites
 */
export const productRules: readonly Rewrite[] = [gatherProducts]
