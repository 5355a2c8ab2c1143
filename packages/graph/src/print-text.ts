import { ancestors, type Graph, type Node, type NodeId } from './graph.js'
import type { OpName } from './ops.js'
import type { TextDialect } from './parse.js'
import { showShape } from './shape.js'

/**
 * Options of {@link toText}.
 *
 * @category Text
 */
export interface TextOptions {
  /**
   * `'contract'` (default) prints only the syntax of CONTRACT.md §1 and
   * writes the other scalar ops in forms equal to them away from their
   * kinks; `'full'` prints those ops as function calls that
   * `parse(text, { dialect: 'full' })` reads back exactly.
   */
  readonly dialect?: TextDialect
}

/**
 * An expression tree on its way to text. Parentheses are not part of it:
 * `render` adds exactly those the grammar needs (plus a few for reading).
 */
type Doc =
  | { readonly t: 'atom'; readonly s: string } // a name or a parenthesised text
  | { readonly t: 'num'; readonly s: string } // a non-negative number literal
  | { readonly t: 'negnum'; readonly s: string } // a negative literal; parse folds the '-' into it
  | { readonly t: 'neg'; readonly x: Doc }
  | { readonly t: 'bin'; readonly op: '+' | '-' | '*' | '/'; readonly l: Doc; readonly r: Doc }
  | { readonly t: 'pow'; readonly l: Doc; readonly r: Doc }
  | { readonly t: 'call'; readonly name: string; readonly args: readonly Doc[] }

// Grammar levels: sum < product < unary < power < atom.
const SUM = 1
const PRODUCT = 2
const UNARY = 3
const POWER = 4
const ATOM = 5

const level = (d: Doc): number => {
  switch (d.t) {
    case 'bin':
      return d.op === '+' || d.op === '-' ? SUM : PRODUCT
    case 'neg':
    case 'negnum':
      return UNARY
    case 'pow':
      return POWER
    default:
      return ATOM
  }
}

const isNegative = (d: Doc): boolean => d.t === 'neg' || d.t === 'negnum'

const wrap = (d: Doc, parens: boolean): string => (parens ? `(${render(d)})` : render(d))

const render = (d: Doc): string => {
  switch (d.t) {
    case 'atom':
    case 'num':
    case 'negnum':
      return d.s
    case 'call':
      return `${d.name}(${d.args.map(render).join(', ')})`
    case 'neg':
      // -(2) must keep its parentheses, or it would read back as the constant -2;
      // -(-x) keeps them for the reader.
      return `-${wrap(d.x, level(d.x) < POWER || d.x.t === 'num')}`
    case 'bin': {
      const p = level(d)
      const sep = p === SUM ? ` ${d.op} ` : d.op
      // Left-associative: a - (b - c) needs parentheses, (a - b) - c does not.
      // A negative right operand is parenthesised for the reader: x*(-2), not x*-2.
      return `${wrap(d.l, level(d.l) < p)}${sep}${wrap(d.r, level(d.r) <= p || isNegative(d.r))}`
    }
    case 'pow':
      // The base is an atom; the exponent a unary, so x^-2 and x^y^z need none.
      return `${wrap(d.l, level(d.l) < ATOM)}^${wrap(d.r, level(d.r) < UNARY)}`
  }
}

const atom = (s: string): Doc => ({ t: 'atom', s })
const call = (name: string, ...args: Doc[]): Doc => ({ t: 'call', name, args })
const bin = (op: '+' | '-' | '*' | '/', l: Doc, r: Doc): Doc => ({ t: 'bin', op, l, r })

/**
 * A scalar as a literal that parses back to the same float64: `String(v)`
 * (shortest round-trip digits) fits the grammar's number rule. The
 * infinities print as `1e999`, which overflows back to them; NaN has no
 * literal and prints as `(0/0)`, which reads back as a division.
 */
const numberDoc = (v: number): Doc => {
  if (v === Math.PI) return atom('pi')
  if (v === Math.E) return atom('e')
  if (Number.isNaN(v)) return atom('(0/0)')
  if (v === Infinity) return { t: 'num', s: '1e999' }
  if (v === -Infinity) return { t: 'negnum', s: '-1e999' }
  if (Object.is(v, -0)) return { t: 'negnum', s: '-0' }
  return v < 0 ? { t: 'negnum', s: String(v) } : { t: 'num', s: String(v) }
}

const constDoc = (n: Node): Doc => {
  const { value, values } = n.attrs
  const scalar = value ?? (n.shape.length === 0 ? values?.[0] : undefined)
  if (n.shape.length === 0 && scalar !== undefined) return numberDoc(scalar)
  const shape = atom(`shape=${showShape(n.shape)}`)
  if (values === undefined) return call('fill', numberDoc(value!), shape)
  // Large tensor constants (weights, data) would drown the expression.
  if (values.length > 16) return call('tensor', shape)
  return call('tensor', atom(`[${values.map(String).join(', ')}]`), shape)
}

type Form = (args: readonly Doc[], node: Node, inputs: readonly Node[], full: boolean) => Doc

const fn: Form = (args, node) => call(node.op, ...args)
const infix =
  (op: '+' | '-' | '*' | '/'): Form =>
  ([l, r]) =>
    bin(op, l!, r!)
/** Dialect-only ops: a call in the full dialect, `lowered` in the contract one. */
const full =
  (lowered: Form): Form =>
  (args, node, inputs, isFull) =>
    isFull ? fn(args, node, inputs, isFull) : lowered(args, node, inputs, isFull)
const isZero = (n: Node): boolean => n.op === 'const' && n.shape.length === 0 && n.attrs.value === 0
const num = (s: string): Doc => ({ t: 'num', s })
/** `a - b`, or `a` when `b` is the constant 0, or `-b` when `a` is. */
const difference = (a: Doc, b: Doc, na: Node, nb: Node): Doc =>
  isZero(nb) ? a : isZero(na) ? { t: 'neg', x: b } : bin('-', a, b)
/** `greater(a, b)` = step(a - b), exact everywhere (the sign of a - b is that of a > b). */
const greater: Form = ([a, b], _node, [na, nb]) => call('step', difference(a!, b!, na!, nb!))
/** `greaterEqual(a, b)` = 1 - step(b - a). */
const greaterEqual: Form = ([a, b], _node, [na, nb]) => bin('-', num('1'), call('step', difference(b!, a!, nb!, na!)))
/**
 * `a - b`, except `1 - (1 - step(u))`, which prints as `step(u)`: the
 * complement of a `greaterEqual` (the derivative of `max` in its second
 * operand), exact since a step is 0 or 1.
 */
const minus: Form = ([a, b]) =>
  a!.t === 'num' && a!.s === '1' && b!.t === 'bin' && b!.op === '-' && b!.l.t === 'num' && b!.l.s === '1' && b!.r.t === 'call' && b!.r.name === 'step'
    ? b!.r
    : bin('-', a!, b!)
const listed = (key: string, xs: readonly number[]): Doc => atom(`${key}=${showShape(xs)}`)
const keepdims = (node: Node): Doc[] => (node.attrs.keepdims ? [atom('keepdims=true')] : [])
const reduce: Form = ([x], node) => call(node.op, x!, listed('axes', node.attrs.axes!), ...keepdims(node))
const alongAxis: Form = ([x], node) => call(node.op, x!, atom(`axis=${node.attrs.axis}`), ...keepdims(node))

/**
 * How the ops print that are not plain calls `op(args)`, given their
 * operands' docs; every other op (a function of the text language, a
 * matrix product) prints as a call of its name.
 */
const forms: { readonly [K in OpName]?: Form } = {
  input: (_, node) => atom(node.attrs.name!),
  param: (_, node) => atom(node.attrs.name!),
  const: (_, node) => constDoc(node),
  neg: ([x]) => ({ t: 'neg', x: x! }),
  sign: full(([x]) => bin('-', call('step', x!), call('step', { t: 'neg', x: x! }))), // step(u) - step(-u)
  stopGradient: full(([x]) => x!), // the value is x
  add: infix('+'),
  sub: minus,
  mul: infix('*'),
  div: infix('/'),
  pow: ([l, r]) => ({ t: 'pow', l: l!, r: r! }),
  mulNoNan: full(infix('*')), // a*b wherever b is finite
  greater: full(greater),
  greaterEqual: full(greaterEqual),
  // 1 - step(a - b) - step(b - a): 1 exactly where a = b.
  equal: full((args, node, inputs, isFull) =>
    bin('-', greaterEqual([args[1]!, args[0]!], node, [inputs[1]!, inputs[0]!], isFull), call('step', difference(args[1]!, args[0]!, inputs[1]!, inputs[0]!))),
  ),
  where: full(([c, a, b]) => bin('+', bin('*', c!, a!), bin('*', bin('-', { t: 'num', s: '1' }, c!), b!))),
  transpose: ([x], node) => {
    const perm = node.attrs.perm!
    const reversed = perm.every((p, i) => p === perm.length - 1 - i)
    return reversed ? call('transpose', x!) : call('transpose', x!, listed('perm', perm))
  },
  reshape: ([x], node) => call('reshape', x!, listed('shape', node.shape)),
  broadcast: ([x], node) => call('broadcast', x!, listed('shape', node.shape)),
  slice: ([x], node) => call('slice', x!, atom(`axis=${node.attrs.axis}`), atom(`${node.attrs.start}:${node.attrs.end}`)),
  index: ([x], node) => call('index', x!, atom(`axis=${node.attrs.axis}`), atom(`${node.attrs.start}`)),
  concat: ([a, b], node) => call('concat', a!, b!, atom(`axis=${node.attrs.axis}`)),
  sum: reduce,
  reduceMax: reduce,
  softmax: alongAxis,
  logSoftmax: alongAxis,
  logSumExp: alongAxis,
}

/** Docs of every ancestor of `outputs`, built bottom-up so shared nodes are built once. */
const docsOf = (graph: Graph, outputs: readonly NodeId[], dialect: TextDialect): Map<NodeId, Doc> => {
  const docs = new Map<NodeId, Doc>()
  for (const id of ancestors(graph, outputs)) {
    const node = graph.nodes[id]!
    const args = node.inputs.map((i) => docs.get(i)!)
    const inputs = node.inputs.map((i) => graph.nodes[i]!)
    docs.set(id, (forms[node.op] ?? fn)(args, node, inputs, dialect === 'full'))
  }
  return docs
}

/**
 * Prints the expression that computes `output` in the scalar text language
 * of CONTRACT.md §1, with as few parentheses as precedence and
 * associativity allow (`a - (b - c)`, `a/(b*c)`, `(-x)^2`, `-x^2`,
 * `x^y^z`, `(x^y)^z`) plus a few for the reader (`x*(-2)`, `-(-x)`).
 *
 * For a scalar graph of contract ops (`full` dialect: of any elementwise
 * op) over scalar inputs, `parse(toText(g, o))` (with the same dialect and
 * the graph's dtype) gives a graph on which {@link sameExpression} holds.
 * Numbers print so that they parse back to the same float64; `Math.PI` and
 * `Math.E` print as `pi` and `e`, the infinities as `1e999` and `-1e999`,
 * and NaN as `(0/0)` (which reads back as a division, not a constant).
 *
 * In the `contract` dialect, ops outside the syntax print in forms equal to
 * them: `greater(a, b)` as `step(a - b)` (`step(a)` when `b` is 0),
 * `greaterEqual(a, b)` as `1 - step(b - a)`, `sign(u)` as
 * `step(u) - step(-u)`, `equal(a, b)` as `1 - step(a - b) - step(b - a)`,
 * exact at the kinks too; and, exact where their operands are finite,
 * `where(c, a, b)` as `c*a + (1 - c)*b` (for a 0/1 condition),
 * `mulNoNan(a, b)` as `a*b` and `stopGradient(x)` as `x`.
 *
 * The text is a tree: a subexpression shared in the graph is printed at
 * each use. Tensor ops print in a readable call form that the parser does
 * not read, e.g. `sum(x, axes=[0])`, `matmul(W, z)`, `softmax(a, axis=1)`,
 * `tensor([1, 2], shape=[2])`; inputs and parameters print as their names
 * whatever their shape (so do names that are not identifiers: only
 * identifiers other than `pi`, `e` and function names read back).
 *
 * @example
 * ```ts
 * const { graph, result } = buildOrThrow(emptyGraph, (b) => {
 *   const x = b.input('x')
 *   return b.sub(x, b.sub(b.input('y'), b.scalar(-2)))
 * })
 * toText(graph, result) // 'x - (y - (-2))'
 * ```
 * @category Text
 */
export const toText = (graph: Graph, output: NodeId, opts: TextOptions = {}): string =>
  render(docsOf(graph, [output], opts.dialect ?? 'contract').get(output)!)

/**
 * {@link toText} of several outputs of one graph, in order.
 *
 * @category Text
 */
export const toTextAll = (graph: Graph, outputs: readonly NodeId[], opts: TextOptions = {}): string[] => {
  const docs = docsOf(graph, outputs, opts.dialect ?? 'contract')
  return outputs.map((o) => render(docs.get(o)!))
}
