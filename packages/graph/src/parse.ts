import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { build, type Builder } from './builder.js'
import { fail, graphError, type GraphError } from './errors.js'
import { emptyGraph, type Graph, type NodeId } from './graph.js'
import { type OpName, opNames, ops } from './ops.js'
import { orThrow } from './or-throw.js'
import type { DType } from './shape.js'

/**
 * Which function names the scalar text language knows. `'contract'` is the
 * syntax of CONTRACT.md §1; `'full'` adds one function per remaining scalar
 * op (`sign`, `stopGradient`, `mulNoNan`, `greater`, `greaterEqual`, `equal`,
 * `where`) so that every scalar graph prints and parses back exactly. Each
 * op's row in {@link ops} says which dialect knows it (`OpDef.syntax`).
 *
 * @category Text
 */
export type TextDialect = 'contract' | 'full'

/**
 * Options of {@link parse} and {@link parseInto}.
 *
 * @category Text
 */
export interface ParseOptions {
  /** The dtype of every variable and constant; `'f64'` by default. */
  readonly dtype?: DType
  /** The function names accepted; `'contract'` by default. */
  readonly dialect?: TextDialect
}

/**
 * What {@link parse} returns: a new graph, the node computing the
 * expression, and the variables in order of first appearance.
 *
 * @category Text
 */
export interface Parsed {
  /** A graph holding exactly the expression's nodes. */
  readonly graph: Graph
  /** The node that computes the whole expression. */
  readonly output: NodeId
  /** Every variable name, in order of first appearance. */
  readonly variables: readonly string[]
}

// Function names are the op names they build (pow -> 'pow', max -> 'max', ...),
// read from the op table's `syntax` field.
const functionsOf = (dialects: readonly string[]): ReadonlySet<string> =>
  new Set(opNames.filter((op) => dialects.includes(ops[op].syntax ?? '')))
// Functions of the contract built from ops by a builder method, not ops of their own.
const composites: ReadonlyMap<string, (b: Builder, x: NodeId) => NodeId> = new Map([['gelu', (b, x) => b.gelu(x)]])
const contractFunctions = new Set([...functionsOf(['contract']), ...composites.keys()])
const fullFunctions = new Set([...contractFunctions, ...functionsOf(['full'])])
const constants: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
])

// Deep enough for any expression a person writes, shallow enough that the
// recursive descent never exhausts the JavaScript stack.
const maxDepth = 1000

interface Token {
  readonly kind: 'number' | 'name' | 'symbol' | 'end'
  readonly text: string
  /** 1-based column of the token's first character. */
  readonly column: number
}

const parseError = (message: string, column: number): never =>
  fail(graphError('ParseError', { column, message: `${message} at column ${column}` }))

const numberPattern = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const namePattern = /[A-Za-z][A-Za-z0-9_]*/y
const symbols = ['**', '+', '-', '*', '/', '^', '(', ')', ',']

const tokenize = (text: string): Token[] => {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++
      continue
    }
    const column = i + 1
    const matched = (kind: 'number' | 'name', pattern: RegExp): boolean => {
      pattern.lastIndex = i
      const m = pattern.exec(text)
      if (m === null) return false
      tokens.push({ kind, text: m[0], column })
      i += m[0].length
      return true
    }
    if (matched('number', numberPattern) || matched('name', namePattern)) continue
    const symbol = symbols.find((s) => text.startsWith(s, i))
    if (symbol === undefined) parseError(`unexpected character '${text[i]}'`, column)
    tokens.push({ kind: 'symbol', text: symbol!, column })
    i += symbol!.length
  }
  tokens.push({ kind: 'end', text: '', column: text.length + 1 })
  return tokens
}

const isSymbol = (t: Token, ...texts: string[]): boolean => t.kind === 'symbol' && texts.includes(t.text)

/** Recursive descent over the grammar of CONTRACT.md §1, one method per rule. */
class Parser {
  private pos = 0
  private depth = 0
  readonly variables: string[] = []

  constructor(
    private readonly tokens: readonly Token[],
    private readonly b: Builder,
    private readonly dtype: DType,
    private readonly functions: ReadonlySet<string>,
  ) {}

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!
  }

  private take(): Token {
    const t = this.peek()
    if (t.kind !== 'end') this.pos++
    return t
  }

  private unexpected(t: Token): never {
    return parseError(t.kind === 'end' ? 'unexpected end of input' : `unexpected '${t.text}'`, t.column)
  }

  private expect(symbol: string): void {
    const t = this.take()
    if (!isSymbol(t, symbol)) this.unexpected(t)
  }

  private nested<R>(at: Token, rule: () => R): R {
    if (++this.depth > maxDepth) parseError('expression nested too deeply', at.column)
    const r = rule()
    this.depth--
    return r
  }

  expression(): NodeId {
    const result = this.sum()
    if (this.peek().kind !== 'end') this.unexpected(this.peek())
    return result
  }

  private sum(): NodeId {
    let left = this.product()
    while (isSymbol(this.peek(), '+', '-')) {
      const op = this.take().text === '+' ? 'add' : 'sub'
      left = this.b.apply(op, [left, this.product()])
    }
    return left
  }

  private product(): NodeId {
    let left = this.unary()
    while (isSymbol(this.peek(), '*', '/')) {
      const op = this.take().text === '*' ? 'mul' : 'div'
      left = this.b.apply(op, [left, this.unary()])
    }
    return left
  }

  private unary(): NodeId {
    const minus = this.peek()
    if (!isSymbol(minus, '-')) return this.power()
    this.take()
    // '-' before a number literal is part of the literal, so that a printed
    // negative constant reads back as that constant; not before a power,
    // though: -2^2 is -(2^2).
    const literal = this.peek()
    if (literal.kind === 'number' && !isSymbol(this.peek(1), '^', '**')) {
      this.take()
      return this.b.scalar(-Number(literal.text), this.dtype)
    }
    return this.nested(minus, () => this.b.neg(this.unary()))
  }

  private power(): NodeId {
    const base = this.atom()
    if (!isSymbol(this.peek(), '^', '**')) return base
    const op = this.take()
    return this.nested(op, () => this.b.pow(base, this.unary()))
  }

  private atom(): NodeId {
    const t = this.take()
    if (t.kind === 'number') return this.b.scalar(Number(t.text), this.dtype)
    if (t.kind === 'name') return isSymbol(this.peek(), '(') ? this.call(t) : this.name(t)
    if (isSymbol(t, '(')) {
      const inner = this.nested(t, () => this.sum())
      this.expect(')')
      return inner
    }
    return this.unexpected(t)
  }

  private name(t: Token): NodeId {
    const constant = constants.get(t.text)
    if (constant !== undefined) return this.b.scalar(constant, this.dtype)
    if (this.functions.has(t.text)) parseError(`expected '(' after '${t.text}'`, this.peek().column)
    if (!this.variables.includes(t.text)) this.variables.push(t.text)
    return this.b.input(t.text, [], this.dtype)
  }

  private call(t: Token): NodeId {
    if (!this.functions.has(t.text)) parseError(`unknown function '${t.text}'`, t.column)
    this.expect('(')
    const args = this.nested(t, () => {
      const list = [this.sum()]
      while (isSymbol(this.peek(), ',')) {
        this.take()
        list.push(this.sum())
      }
      return list
    })
    this.expect(')')
    const composite = composites.get(t.text)
    const op = t.text as OpName
    const arity = composite === undefined ? ops[op].arity : 1
    if (args.length !== arity) {
      parseError(`${t.text} takes ${arity} argument${arity === 1 ? '' : 's'}, got ${args.length}`, t.column)
    }
    return composite === undefined ? this.b.apply(op, args) : composite(this.b, args[0]!)
  }
}

const parseWith = (b: Builder, text: string, opts: ParseOptions): { output: NodeId; variables: string[] } => {
  const functions = opts.dialect === 'full' ? fullFunctions : contractFunctions
  const parser = new Parser(tokenize(text), b, opts.dtype ?? 'f64', functions)
  const output = parser.expression()
  return { output, variables: parser.variables }
}

/**
 * Parses a scalar expression in the syntax of CONTRACT.md §1 into a new
 * graph: numbers and the constants `pi` and `e` become constants, every
 * other bare name a scalar `input`, `f(...)` the op of the same name, and a
 * `-` before a number literal (not followed by `^`) a negative constant.
 * A malformed expression is a `ParseError` naming the 1-based column.
 *
 * @example
 * ```ts
 * const parsed = parse('0.5*(sigmoid(w*x) - t)^2')
 * // Right({ graph, output, variables: ['w', 'x', 't'] })
 * parse('sin(x))') // Left({ _tag: 'ParseError', column: 7, message: "unexpected ')' at column 7" })
 * ```
 * @category Text
 */
export const parse = (text: string, opts: ParseOptions = {}): E.Either<GraphError, Parsed> =>
  pipe(
    build(emptyGraph, (b) => parseWith(b, text, opts)),
    E.map(({ graph, result }) => ({ graph, output: result.output, variables: result.variables })),
  )

/**
 * {@link parse} for scripts: the parsed expression, or a thrown
 * {@link BackpropError} whose message is the `Left`'s.
 *
 * @example
 * ```ts
 * const { graph, output, variables } = parseOrThrow('x^2 * y') // variables: ['x', 'y']
 * ```
 * @category Text
 */
export const parseOrThrow = (text: string, opts: ParseOptions = {}): Parsed => orThrow(parse(text, opts))

/**
 * {@link parse} into a graph under construction: returns the expression's
 * node and throws the `ParseError` inside a {@link build} recipe, which
 * returns it as a `Left`. Variables become (or reuse) scalar `input` nodes
 * of that graph.
 *
 * @example
 * ```ts
 * build(graph, (b) => b.mul(parseInto(b, 'x^2 + 1'), b.input('y')))
 * ```
 * @category Text
 */
export const parseInto = (b: Builder, text: string, opts: ParseOptions = {}): NodeId =>
  parseWith(b, text, opts).output
