// Collecting like terms. A chain of add, sub and neg nodes is read as a
// constant plus terms c*t (the coefficient c taken out of a product term), the
// terms of equal t merge, and the sum is rebuilt in one canonical order:
// the constant, then the terms, starting with the first positive one and
// writing a negative term as a subtraction (`a - 2*b`, not `a + -2*b`).
//
// Linear time: a chain node is descended into only when the graph uses it
// once (a shared subexpression stays one node, a "head" of the chain, and is
// not copied into each consumer), and at most `maxDescend` of them per node.
import type { Node, NodeId } from '../../graph.js'
import { type DType, type Shape, sameShape } from '../../shape.js'
import { onOps, type Rewrite } from '../rewrite.js'
import type { RewriteContext } from '../rule-context.js'
import { splatOf } from '../tensor.js'

// Chain nodes one collection may descend into.
const maxDescend = 16

// Links of a product term's chain read to find its coefficient.
const maxKeyLinks = 8

// Canonical marks of a sum: any canonical sum, or one whose first item is
// also where it starts (no negative item before its first positive one), to
// which a term that sorts last can be appended as it is.
const CANONICAL = 1
const STARTS_FIRST = 2

// Sort classes of items: shared chains (heads) first, then scalar-shaped
// terms (cheap to add first in a tensor sum), then the rest.
const HEAD = 0
const SCALAR = 1
const OTHER = 2

interface Item {
  /** The item's coefficient in the sum. */
  coef: number
  /** A node for c0 * t: the term as it came (for a head, the chain itself, c0 = 1). */
  readonly node: NodeId
  readonly c0: number
  /** The factors of t, by id descending (divisors as -1 - id); undefined for a head. */
  readonly key: readonly number[] | undefined
  readonly order: number
  merged: boolean
}

interface Collection {
  constant: number
  readonly items: Item[]
  /** Chain nodes still to descend into. */
  budget: number
  readonly shape: Shape
}

/**
 * A term read as a coefficient times factors: a product's chain of `mul`
 * links (and one divisor on top) down to its leftmost operand, which is the
 * coefficient when it is a uniform constant. Exact: the coefficient times the
 * product of the factors is the term, however far the links were followed.
 */
const termKey = (b: RewriteContext, id: NodeId): { readonly coef: number; readonly key: number[] } => {
  const key: number[] = []
  return { coef: readTerm(b, id, key), key }
}

/** {@link termKey} into `key` (emptied first); returns the coefficient. */
const readTerm = (b: RewriteContext, id: NodeId, key: number[]): number => {
  key.length = 0
  let cur = id
  let n = b.node(cur)
  if (n.op === 'div') {
    key.push(-1 - n.inputs[1]!)
    cur = n.inputs[0]!
    n = b.node(cur)
  }
  for (let links = 0; n.op === 'mul' && links < maxKeyLinks; links++) {
    key.push(n.inputs[1]!)
    cur = n.inputs[0]!
    n = b.node(cur)
  }
  const coef = cur === id ? undefined : splatOf(n)
  if (coef === undefined) key.push(cur)
  // Insertion sort, descending: keys are short.
  for (let i = 1; i < key.length; i++) {
    const v = key[i]!
    let j = i
    for (; j > 0 && key[j - 1]! < v; j--) key[j] = key[j - 1]!
    key[j] = v
  }
  return coef ?? 1
}

// Keys of the two terms inOrder compares. It reads nodes only, so nothing
// can call it again before it is done with them.
const lastKey: number[] = []
const newKey: number[] = []

const compareKeys = (x: readonly number[], y: readonly number[]): number => {
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

const compare = (a: Item, b: Item): number =>
  a.order - b.order || (a.key === undefined || b.key === undefined ? a.node - b.node : compareKeys(a.key, b.key))

const orderOf = (n: Node): number => (n.shape.length === 0 ? SCALAR : OTHER)

/** The item of the collection with this key, or (undefined key) this head. */
const itemOf = (c: Collection, key: readonly number[] | undefined, head: NodeId): Item | undefined => {
  for (const x of c.items) {
    if (key === undefined ? x.key === undefined && x.node === head : x.key !== undefined && compareKeys(x.key, key) === 0) {
      return x
    }
  }
  return undefined
}

const addHead = (c: Collection, id: NodeId, sign: number): void => {
  const same = itemOf(c, undefined, id)
  if (same !== undefined) {
    same.coef += sign
    same.merged = true
  } else {
    c.items.push({ coef: sign, node: id, c0: 1, key: undefined, order: HEAD, merged: false })
  }
}

const addTerm = (b: RewriteContext, c: Collection, id: NodeId, sign: number): void => {
  const { coef, key } = termKey(b, id)
  const same = itemOf(c, key, id)
  if (same !== undefined) {
    same.coef += sign * coef
    same.merged = true
  } else {
    c.items.push({ coef: sign * coef, node: id, c0: coef, key, order: orderOf(b.node(id)), merged: false })
  }
}

/** Reads node `id` into the collection with sign `sign`. */
const visit = (b: RewriteContext, c: Collection, id: NodeId, sign: number): void => {
  const n = b.node(id)
  switch (n.op) {
    case 'const': {
      const v = splatOf(n)
      if (v !== undefined) {
        c.constant += sign * v
        return
      }
      break
    }
    case 'neg':
      visit(b, c, n.inputs[0]!, -sign)
      return
    case 'add':
    case 'sub': {
      const shared = b.usesOf(id) > 1
      if (!shared && sameShape(n.shape, c.shape) && c.budget-- > 0) {
        visit(b, c, n.inputs[0]!, sign)
        visit(b, c, n.inputs[1]!, n.op === 'sub' ? -sign : sign)
        return
      }
      if (shared) b.noteKept(id, 'sum')
      addHead(c, id, sign)
      return
    }
  }
  addTerm(b, c, id, sign)
}

const constant = (b: RewriteContext, value: number, dtype: DType): NodeId =>
  b.scalar(dtype === 'f32' ? Math.fround(value) : value, dtype)

/** The factors of a term, multiplied out again: the term without its coefficient. */
const base = (b: RewriteContext, key: readonly number[], dtype: DType): NodeId => {
  let product: NodeId | undefined
  for (const k of key) if (k >= 0) product = product === undefined ? k : b.mul(product, k)
  product ??= constant(b, 1, dtype)
  for (const k of key) if (k < 0) product = b.div(product, -1 - k)
  return product
}

/** A node for `coef` times the item's term. */
const scaled = (b: RewriteContext, item: Item, coef: number, dtype: DType): NodeId => {
  if (coef === item.c0 && !item.merged) return item.node
  const t = item.key === undefined ? item.node : base(b, item.key, dtype)
  return coef === 1 ? t : coef === -1 ? b.neg(t) : b.mul(constant(b, coef, dtype), t)
}

/** The collected sum in canonical form, and the canonical mark of its head. */
const rebuild = (b: RewriteContext, c: Collection, node: Node): readonly [NodeId, number] => {
  const { dtype } = node
  const items = c.items.filter((x) => x.coef !== 0).sort(compare)
  const k = c.constant
  const count = items.length + (k !== 0 ? 1 : 0)
  if (items.length === 0) return [constant(b, k, dtype), CANONICAL]
  if (count === 1) return [scaled(b, items[0]!, items[0]!.coef, dtype), CANONICAL]
  // Position -1 is the constant, 0.. the items.
  const first = k !== 0 ? -1 : 0
  // NaN counts as positive, so that it has one place whatever its sign.
  let start = first
  while (start < items.length && signAt(items, k, start) < 0) start++
  if (start === items.length) {
    // Every item negative: -(a + b), not -a - b.
    let acc = positiveAt(b, items, k, first, dtype)
    for (let p = first + 1; p < items.length; p++) acc = b.applyLink('add', [acc, positiveAt(b, items, k, p, dtype)])
    return [b.applyHead('neg', [acc]), CANONICAL]
  }
  const mark = start === first ? STARTS_FIRST : CANONICAL
  let acc = positiveAt(b, items, k, start, dtype)
  let last = items.length - 1
  if (last === start) last--
  for (let p = first; p < items.length; p++) {
    if (p === start) continue
    const op = signAt(items, k, p) < 0 ? 'sub' : 'add'
    const operands = [acc, positiveAt(b, items, k, p, dtype)]
    acc = p === last ? b.applyHead(op, operands, mark) : b.applyLink(op, operands, mark)
  }
  return [acc, mark]
}

/** The coefficient at position `p` of a rebuilt sum: -1 for the constant `k`, else an item's. */
const signAt = (items: readonly Item[], k: number, p: number): number => (p < 0 ? k : items[p]!.coef)

/** A node for the magnitude of what is at position `p` of a rebuilt sum. */
const positiveAt = (b: RewriteContext, items: readonly Item[], k: number, p: number, dtype: DType): NodeId =>
  p < 0 ? constant(b, Math.abs(k), dtype) : scaled(b, items[p]!, Math.abs(items[p]!.coef), dtype)

/** A term the collection takes as it is, with coefficient 1. */
const isAtom = (n: Node): boolean =>
  n.op !== 'const' && n.op !== 'neg' && n.op !== 'add' && n.op !== 'sub' && n.op !== 'mul' && n.op !== 'div'

/**
 * The canonical mark of `acc ± t` when it is canonical as it is, seen without
 * collecting, else 0: two plain terms in order (`a - b` is in order either
 * way: it starts at its one positive term), or a plain term `t` that keeps its
 * sign after `acc`, a chain the collection would not enter or a canonical sum
 * that starts with its first item and whose items all sort before `t`. These
 * are the commonest sums, and the last keeps a sum that grows one term at a
 * time (the fan-in sums of a gradient) linear.
 */
const inOrder = (b: RewriteContext, n: Node): number => {
  if (n.op !== 'add' && n.op !== 'sub') return 0
  const [acc, t] = n.inputs as [NodeId, NodeId]
  const a = b.node(acc)
  const x = b.node(t)
  if (isAtom(a) && isAtom(x)) {
    if (acc === t) return 0
    const first = orderOf(a) - orderOf(x) || acc - t
    return first < 0 ? STARTS_FIRST : n.op === 'sub' ? CANONICAL : 0
  }
  if ((a.op !== 'add' && a.op !== 'sub') || x.op === 'const' || x.op === 'neg' || x.op === 'add' || x.op === 'sub') {
    return 0
  }
  if (readTerm(b, t, newKey) < 0) return 0
  if (!sameShape(a.shape, n.shape)) return STARTS_FIRST
  if (b.usesOf(acc) > 1) {
    b.noteKept(acc, 'sum')
    return STARTS_FIRST
  }
  if (b.canonicalMark(acc) !== STARTS_FIRST) return 0
  const lastId = a.inputs[1]!
  const lastNode = b.node(lastId)
  // A head sorts before every term.
  if (lastNode.op === 'add' || lastNode.op === 'sub') return STARTS_FIRST
  const order = orderOf(x) - orderOf(lastNode)
  if (order !== 0) return order > 0 ? STARTS_FIRST : 0
  readTerm(b, lastId, lastKey)
  return compareKeys(lastKey, newKey) < 0 ? STARTS_FIRST : 0
}

/** True for two plain terms out of order, `y + x`, which the collection writes `x + y`. */
const atomPairSwapped = (b: RewriteContext, p: NodeId, q: NodeId): boolean => {
  if (p === q) return false
  const a = b.node(p)
  const x = b.node(q)
  return isAtom(a) && isAtom(x) && (orderOf(a) - orderOf(x) || p - q) > 0
}

// constant + c1*t1 + c2*t2 - ..., like terms merged, in canonical order.
const collectSums: Rewrite = onOps(['add', 'sub', 'neg'], (b, id, n) => {
  if (n.op === 'neg') {
    const x = b.node(n.inputs[0]!).op
    if (x !== 'add' && x !== 'sub') return undefined
  }
  if (b.canonicalMark(id) !== 0) return undefined
  const mark = inOrder(b, n)
  if (mark !== 0) {
    b.markCanonical(id, mark)
    return undefined
  }
  // y + x -> x + y for two plain terms, without collecting.
  const [p, q] = n.inputs as [NodeId, NodeId]
  if (n.op === 'add' && atomPairSwapped(b, p, q)) return b.applyHead('add', [q, p], STARTS_FIRST)
  const c: Collection = { constant: 0, items: [], budget: maxDescend, shape: n.shape }
  if (n.op === 'neg') {
    visit(b, c, n.inputs[0]!, -1)
  } else {
    visit(b, c, n.inputs[0]!, 1)
    visit(b, c, n.inputs[1]!, n.op === 'sub' ? -1 : 1)
  }
  const [result, resultMark] = rebuild(b, c, n)
  if (result === id) b.markCanonical(id, resultMark)
  return result
}, (b, op, p, q) => op === 'add' && atomPairSwapped(b, p, q))

/**
 * Collects like terms: reads a chain of `add`, `sub` and `neg` nodes as a
 * constant plus terms `c*t` and rebuilds it in one canonical order, so that
 *
 * - constants gather into one (`1 + (x + 2) -> 3 + x`, `x + 0 -> x`);
 * - terms with equal `t` merge: `x + x -> 2*x`, `2*x*y + x*y*3 -> 5*x*y`,
 *   `x - x -> 0` (x finite), `x/3 + x/3 -> 2*x/3`;
 * - signs go where they read best: `a + (-b) -> a - b`, `-(a - b) -> b - a`,
 *   `a + -2*b -> a - 2*b`, and a sum of negative terms is one negation,
 *   `-(a + b)`;
 * - the constant comes first, then shared chains, scalar-shaped terms and
 *   the rest, each by the ids of their factors (latest first), starting with
 *   the first positive item: `y + x` and `x + y` are one node, `-t + y` reads
 *   `y - t`, and the fan-in sum of a gradient, whose terms come in as they
 *   are built, grows at its end.
 *
 * A chain node is collected only when the graph uses it once and its shape is
 * the sum's, and at most 16 of them per sum: shared subexpressions stay
 * shared, and a sweep stays linear in the graph's size.
 *
 * @category Rewrites
 */
export const sumRules: readonly Rewrite[] = [collectSums]
