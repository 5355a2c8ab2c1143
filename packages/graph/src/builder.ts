import * as E from 'fp-ts/lib/Either.js'
import { castDraft, produce } from 'immer'
import { fail, GraphFailure, graphError, type GraphError } from './errors.js'
import type { Attrs, Graph, Node, NodeId } from './graph.js'
import { type BinaryOp, type OpName, ops, type UnaryOp } from './ops.js'
import { type DType, type Shape, sizeOf } from './shape.js'

/**
 * Appends nodes to a graph under construction. Every method returns the id of
 * the node computing its result; asking for a node that exists already
 * returns the existing id (hash-consing), so common subexpressions are shared
 * by construction. Methods throw inside a recipe; {@link build} turns that
 * into a `Left`.
 *
 * @category Building
 */
export interface Builder {
  /** The node with this id (from the base graph or added in this build). */
  node(id: NodeId): Node
  /** Number of nodes so far. */
  readonly size: number
  /** Applies any op; the generic form behind every other method. */
  apply(op: OpName, inputs: readonly NodeId[], attrs?: Attrs, dtype?: DType): NodeId
  /** A fed value, addressed by `name` when running the graph. */
  input(name: string, shape?: Shape, dtype?: DType): NodeId
  /** A trainable parameter, addressed by `name`. */
  param(name: string, shape?: Shape, dtype?: DType): NodeId
  /** A constant of the given shape with every element `value`. */
  scalar(value: number, dtype?: DType, shape?: Shape): NodeId
  /** A scalar constant with the dtype of node `like`. */
  scalarLike(value: number, like: NodeId): NodeId
  /** A tensor constant from row-major `values`. */
  constant(values: readonly number[], shape: Shape, dtype?: DType): NodeId
  /** Elementwise op of one operand. */
  unary(op: UnaryOp, x: NodeId): NodeId
  /** Elementwise op of two broadcast operands. */
  binary(op: BinaryOp, a: NodeId, b: NodeId): NodeId
  /** `-x` */
  neg(x: NodeId): NodeId
  /** `e^x` */
  exp(x: NodeId): NodeId
  /** Natural logarithm. */
  log(x: NodeId): NodeId
  /** Square root. */
  sqrt(x: NodeId): NodeId
  /** Sine. */
  sin(x: NodeId): NodeId
  /** Cosine. */
  cos(x: NodeId): NodeId
  /** Tangent. */
  tan(x: NodeId): NodeId
  /** Hyperbolic tangent. */
  tanh(x: NodeId): NodeId
  /** The lecture's logsig, `1 / (1 + e^-x)`. */
  sigmoid(x: NodeId): NodeId
  /** `max(x, 0)`. */
  relu(x: NodeId): NodeId
  /** Absolute value. */
  abs(x: NodeId): NodeId
  /** `x^2`. */
  square(x: NodeId): NodeId
  /** `log(1 + e^x)`. */
  softplus(x: NodeId): NodeId
  /** -1, 0 or 1. */
  sign(x: NodeId): NodeId
  /** `x` in value; no gradient flows through it. */
  stopGradient(x: NodeId): NodeId
  /** `a + b` */
  add(a: NodeId, b: NodeId): NodeId
  /** `a - b` */
  sub(a: NodeId, b: NodeId): NodeId
  /** `a * b` (elementwise) */
  mul(a: NodeId, b: NodeId): NodeId
  /** `a / b` */
  div(a: NodeId, b: NodeId): NodeId
  /** `a ^ b` */
  pow(a: NodeId, b: NodeId): NodeId
  /** Elementwise maximum; ties pick `a`. */
  max(a: NodeId, b: NodeId): NodeId
  /** Elementwise minimum; ties pick `a`. */
  min(a: NodeId, b: NodeId): NodeId
  /** `a * b`, but 0 wherever `a` is 0 (even if `b` is not finite). */
  mulNoNan(a: NodeId, b: NodeId): NodeId
  /** 1 where `a > b`, else 0. */
  greater(a: NodeId, b: NodeId): NodeId
  /** 1 where `a >= b`, else 0. */
  greaterEqual(a: NodeId, b: NodeId): NodeId
  /** 1 where `a == b`, else 0. */
  equal(a: NodeId, b: NodeId): NodeId
  /** `a` where `cond` is non-zero, else `b`. */
  where(cond: NodeId, a: NodeId, b: NodeId): NodeId
  /** Matrix product of `[m,k]` and `[k,n]`. */
  matmul(a: NodeId, b: NodeId): NodeId
  /** Permutes axes (reverses them by default). */
  transpose(x: NodeId, perm?: readonly number[]): NodeId
  /** Same elements, new shape. */
  reshape(x: NodeId, shape: Shape): NodeId
  /** Stretches `x` to `shape` by NumPy's rules. */
  broadcast(x: NodeId, shape: Shape): NodeId
  /** Sum over `axes` (all by default). */
  sum(x: NodeId, axes?: readonly number[], keepdims?: boolean): NodeId
  /** Mean over `axes` (all by default): the sum times a constant. */
  mean(x: NodeId, axes?: readonly number[], keepdims?: boolean): NodeId
  /** Maximum over `axes` (all by default). */
  reduceMax(x: NodeId, axes?: readonly number[], keepdims?: boolean): NodeId
  /** `exp(x) / sum(exp(x))` along `axis` (last by default), computed stably. */
  softmax(x: NodeId, axis?: number): NodeId
  /** `x - logSumExp(x)` along `axis`, computed stably. */
  logSoftmax(x: NodeId, axis?: number): NodeId
  /** `log(sum(exp(x)))` along `axis`, computed stably. */
  logSumExp(x: NodeId, axis?: number, keepdims?: boolean): NodeId
}

/**
 * A graph together with what its recipe returned.
 *
 * @category Building
 */
export interface Built<R> {
  /** The new graph; the base graph is its prefix. */
  readonly graph: Graph
  /** What the recipe returned (typically node ids). */
  readonly result: R
}

// The hash-cons index of a graph is derived data: computed on demand, cached per graph.
const indexCache = new WeakMap<Graph, Map<string, NodeId>>()

const numberKey = (v: number): string => (Object.is(v, -0) ? '-0' : String(v))

/** The identity of a node for hash-consing: op, dtype, inputs and attributes. @internal */
export const nodeKey = (op: OpName, dtype: DType, inputs: readonly NodeId[], attrs: Attrs): string => {
  let key = `${op}:${dtype}:${inputs.join(',')}`
  if (attrs.name !== undefined) key += `|n=${attrs.name}`
  if (attrs.value !== undefined) key += `|v=${numberKey(attrs.value)}`
  if (attrs.values !== undefined) key += `|vs=${attrs.values.map(numberKey).join(',')}`
  if (attrs.shape !== undefined) key += `|s=${attrs.shape.join(',')}`
  if (attrs.axes !== undefined) key += `|a=${attrs.axes.join(',')}`
  if (attrs.keepdims) key += '|k'
  if (attrs.axis !== undefined) key += `|x=${attrs.axis}`
  if (attrs.perm !== undefined) key += `|p=${attrs.perm.join(',')}`
  return key
}

// Inputs and parameters are identified by name alone, so that declaring a name
// twice with another shape is an error rather than a second node.
const leafKey = (op: OpName, attrs: Attrs): string | undefined =>
  op === 'input' || op === 'param' ? `${op}|n=${attrs.name}` : undefined

const indexOf = (graph: Graph): Map<string, NodeId> => {
  let index = indexCache.get(graph)
  if (!index) {
    index = new Map()
    graph.nodes.forEach((n, id) => {
      index!.set(leafKey(n.op, n.attrs) ?? nodeKey(n.op, n.dtype, n.inputs, n.attrs), id)
    })
    indexCache.set(graph, index)
  }
  return index
}

class GraphBuilder implements Builder {
  private readonly added: Node[] = []
  readonly index: Map<string, NodeId>

  constructor(
    private readonly base: readonly Node[],
    baseIndex: Map<string, NodeId>,
  ) {
    this.index = new Map(baseIndex)
  }

  get size(): number {
    return this.base.length + this.added.length
  }

  get newNodes(): readonly Node[] {
    return this.added
  }

  node(id: NodeId): Node {
    const n = id < this.base.length ? this.base[id] : this.added[id - this.base.length]
    if (n === undefined) {
      fail(graphError('UnknownName', { name: `#${id}`, message: `no node #${id} in this graph` }))
    }
    return n!
  }

  apply(op: OpName, inputs: readonly NodeId[], attrs: Attrs = {}, dtype?: DType): NodeId {
    const def = ops[op]
    if (inputs.length !== def.arity) {
      fail(
        graphError('ShapeError', {
          op,
          message: `${op}: takes ${def.arity} operand(s), got ${inputs.length}`,
        }),
      )
    }
    const operands = inputs.map((id) => this.node(id))
    const inferred = def.infer(op, operands, attrs, dtype)
    const named = leafKey(op, inferred.attrs)
    const key = named ?? nodeKey(op, inferred.dtype, inputs, inferred.attrs)
    const existing = this.index.get(key)
    if (existing !== undefined) {
      const prior = this.node(existing)
      if (named && (prior.dtype !== inferred.dtype || prior.shape.join() !== inferred.shape.join())) {
        fail(
          graphError('ShapeError', {
            op,
            message: `${op} '${inferred.attrs.name}' is declared as [${prior.shape}] ${prior.dtype} and again as [${inferred.shape}] ${inferred.dtype}`,
          }),
        )
      }
      return existing
    }
    const id = this.size
    this.added.push({ op, inputs: [...inputs], attrs: inferred.attrs, shape: inferred.shape, dtype: inferred.dtype })
    this.index.set(key, id)
    return id
  }

  input(name: string, shape: Shape = [], dtype: DType = 'f64'): NodeId {
    return this.apply('input', [], { name, shape }, dtype)
  }
  param(name: string, shape: Shape = [], dtype: DType = 'f64'): NodeId {
    return this.apply('param', [], { name, shape }, dtype)
  }
  scalar(value: number, dtype: DType = 'f64', shape: Shape = []): NodeId {
    return this.apply('const', [], { value, shape }, dtype)
  }
  scalarLike(value: number, like: NodeId): NodeId {
    return this.scalar(value, this.node(like).dtype)
  }
  constant(values: readonly number[], shape: Shape, dtype: DType = 'f64'): NodeId {
    return this.apply('const', [], { values: [...values], shape }, dtype)
  }
  unary(op: UnaryOp, x: NodeId): NodeId {
    return this.apply(op, [x])
  }
  binary(op: BinaryOp, a: NodeId, b: NodeId): NodeId {
    return this.apply(op, [a, b])
  }
  neg = (x: NodeId): NodeId => this.apply('neg', [x])
  exp = (x: NodeId): NodeId => this.apply('exp', [x])
  log = (x: NodeId): NodeId => this.apply('log', [x])
  sqrt = (x: NodeId): NodeId => this.apply('sqrt', [x])
  sin = (x: NodeId): NodeId => this.apply('sin', [x])
  cos = (x: NodeId): NodeId => this.apply('cos', [x])
  tan = (x: NodeId): NodeId => this.apply('tan', [x])
  tanh = (x: NodeId): NodeId => this.apply('tanh', [x])
  sigmoid = (x: NodeId): NodeId => this.apply('sigmoid', [x])
  relu = (x: NodeId): NodeId => this.apply('relu', [x])
  abs = (x: NodeId): NodeId => this.apply('abs', [x])
  square = (x: NodeId): NodeId => this.apply('square', [x])
  softplus = (x: NodeId): NodeId => this.apply('softplus', [x])
  sign = (x: NodeId): NodeId => this.apply('sign', [x])
  stopGradient = (x: NodeId): NodeId => this.apply('stopGradient', [x])
  add = (a: NodeId, b: NodeId): NodeId => this.apply('add', [a, b])
  sub = (a: NodeId, b: NodeId): NodeId => this.apply('sub', [a, b])
  mul = (a: NodeId, b: NodeId): NodeId => this.apply('mul', [a, b])
  div = (a: NodeId, b: NodeId): NodeId => this.apply('div', [a, b])
  pow = (a: NodeId, b: NodeId): NodeId => this.apply('pow', [a, b])
  max = (a: NodeId, b: NodeId): NodeId => this.apply('max', [a, b])
  min = (a: NodeId, b: NodeId): NodeId => this.apply('min', [a, b])
  mulNoNan = (a: NodeId, b: NodeId): NodeId => this.apply('mulNoNan', [a, b])
  greater = (a: NodeId, b: NodeId): NodeId => this.apply('greater', [a, b])
  greaterEqual = (a: NodeId, b: NodeId): NodeId => this.apply('greaterEqual', [a, b])
  equal = (a: NodeId, b: NodeId): NodeId => this.apply('equal', [a, b])
  where = (cond: NodeId, a: NodeId, b: NodeId): NodeId => this.apply('where', [cond, a, b])
  matmul = (a: NodeId, b: NodeId): NodeId => this.apply('matmul', [a, b])
  transpose = (x: NodeId, perm?: readonly number[]): NodeId =>
    this.apply('transpose', [x], perm ? { perm } : {})
  reshape = (x: NodeId, shape: Shape): NodeId => this.apply('reshape', [x], { shape })
  broadcast = (x: NodeId, shape: Shape): NodeId => this.apply('broadcast', [x], { shape })
  sum = (x: NodeId, axes?: readonly number[], keepdims = false): NodeId =>
    this.apply('sum', [x], axes ? { axes, keepdims } : { keepdims })
  reduceMax = (x: NodeId, axes?: readonly number[], keepdims = false): NodeId =>
    this.apply('reduceMax', [x], axes ? { axes, keepdims } : { keepdims })
  mean = (x: NodeId, axes?: readonly number[], keepdims = false): NodeId => {
    const total = this.sum(x, axes, keepdims)
    const count = sizeOf(this.node(x).shape) / sizeOf(this.node(total).shape)
    return this.mul(total, this.scalarLike(1 / count, x))
  }
  softmax = (x: NodeId, axis = -1): NodeId => this.apply('softmax', [x], { axis })
  logSoftmax = (x: NodeId, axis = -1): NodeId => this.apply('logSoftmax', [x], { axis })
  logSumExp = (x: NodeId, axis = -1, keepdims = false): NodeId =>
    this.apply('logSumExp', [x], { axis, keepdims })
}

// Freezes a node built here (its arrays and attributes included): nodes are
// immutable values that every later graph shares.
const freezeNode = (n: Node): Node => {
  Object.freeze(n.inputs)
  Object.freeze(n.shape)
  for (const v of Object.values(n.attrs)) if (Array.isArray(v)) Object.freeze(v)
  Object.freeze(n.attrs)
  return Object.freeze(n)
}

/**
 * Runs `recipe` on a builder that appends to `graph`, and returns the new
 * immutable graph (with `graph` as its prefix) and the recipe's result, or
 * the first {@link GraphError} the recipe ran into.
 *
 * @example
 * ```ts
 * const built = build(emptyGraph, (b) => {
 *   const x = b.input('x')
 *   return b.mul(b.sin(x), x)
 * })
 * ```
 * @category Building
 */
export const build = <R>(graph: Graph, recipe: (b: Builder) => R): E.Either<GraphError, Built<R>> => {
  const builder = new GraphBuilder(graph.nodes, indexOf(graph))
  let result: R
  try {
    result = recipe(builder)
  } catch (e) {
    if (e instanceof GraphFailure) return E.left(e.error)
    throw e
  }
  if (builder.newNodes.length === 0) return E.right({ graph, result })
  // The base nodes are shared and the new ones appended, each frozen as it
  // goes. The node list is handed to immer already frozen: pushing 100k nodes
  // through a draft would cost a proxy trap per push and a deep-freeze walk,
  // over a second per 100k nodes, while a frozen value is taken as it is.
  const nodes = graph.nodes.slice()
  for (const n of builder.newNodes) nodes.push(freezeNode(n))
  Object.freeze(nodes)
  const next = produce(graph, (draft) => {
    draft.nodes = castDraft(nodes)
  })
  indexCache.set(next, builder.index)
  return E.right({ graph: next, result })
}

/**
 * {@link build} for code that knows its recipe is well-formed (tests,
 * derivative rules, examples): returns the graph and result directly and
 * throws the error's message otherwise.
 *
 * @category Building
 */
export const buildOrThrow = <R>(graph: Graph, recipe: (b: Builder) => R): Built<R> => {
  const built = build(graph, recipe)
  if (E.isLeft(built)) throw new Error(built.left.message)
  return built.right
}
