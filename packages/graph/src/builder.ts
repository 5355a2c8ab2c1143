import * as E from 'fp-ts/lib/Either.js'
import { baseTableOf, ConsTable, isPlain, noAttrs, opCode, rememberTable } from './cons-table.js'
import { fail, GraphFailure, graphError, type GraphError } from './errors.js'
import type { Attrs, Graph, Node, NodeId } from './graph.js'
import { type BinaryOp, type OpName, ops, type UnaryOp } from './ops.js'
import { OpMethods } from './op-methods.js'
import { orThrow } from './or-throw.js'
import type { DType, Shape } from './shape.js'

/**
 * One builder method per elementwise op of one or two operands, named like
 * the op and derived from the op table's types, so that a new op in
 * {@link UnaryOp} or {@link BinaryOp} is a method of every builder at once:
 * `b.tanh(x)`, `b.sub(a, b)`, `b.max(a, b)` (ties pick `a`),
 * `b.mulNoNan(a, b)` (`a * b`, but 0 wherever `a` is 0). Their meaning is
 * the op's row in {@link ops}.
 *
 * @category Building
 */
export type ElementwiseMethods = { readonly [K in UnaryOp]: (x: NodeId) => NodeId } & {
  readonly [K in BinaryOp]: (a: NodeId, b: NodeId) => NodeId
}

/**
 * Appends nodes to a graph under construction. Every method returns the id of
 * the node computing its result; asking for a node that exists already
 * returns the existing id (hash-consing), so common subexpressions are shared
 * by construction. Methods throw inside a recipe; {@link build} turns that
 * into a `Left`.
 *
 * @category Building
 */
export interface Builder extends ElementwiseMethods {
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
  /** `x/2 * (1 + erf(x/sqrt(2)))`, the Gaussian error linear unit: a composite of `erf`, no op of its own. */
  gelu(x: NodeId): NodeId
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
  /** Positions `start` (inclusive) to `end` (exclusive) of `x` along `axis`, like `x[start:end]`. */
  slice(x: NodeId, start: number, end: number, axis?: number): NodeId
  /** Position `i` of `x` along `axis` (first by default), that axis dropped, like `x[i]`. */
  index(x: NodeId, i: number, axis?: number): NodeId
  /** `xs` joined along `axis` (first by default); all other extents must agree. */
  concat(xs: readonly NodeId[], axis?: number): NodeId
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

/** The shape of an elementwise node of `a` and `b` when it is one of theirs, else undefined. */
const sharedShape = (a: Shape, b: Shape): Shape | undefined => {
  if (a === b || b.length === 0) return a
  if (a.length === 0) return b
  if (a.length !== b.length) return undefined
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return undefined
  return a
}

class GraphBuilder extends OpMethods {
  private readonly added: Node[] = []
  readonly table: ConsTable
  private readonly baseSize: number

  constructor(
    private readonly base: readonly Node[],
    baseTable: ConsTable | undefined,
    // False for scratch builds (see buildScratch): nodes and their operand
    // lists stay mutable until the caller freezes the ones it keeps.
    private readonly frozen = true,
    capacity = 0,
  ) {
    super()
    this.baseSize = base.length
    this.table = new ConsTable(baseTable, base.length, capacity)
  }

  get size(): number {
    return this.baseSize + this.added.length
  }

  get newNodes(): readonly Node[] {
    return this.added
  }

  node(id: NodeId): Node {
    const n = id < this.baseSize ? this.base[id] : this.added[id - this.baseSize]
    if (n === undefined) {
      fail(graphError('UnknownName', { name: `#${id}`, message: `no node #${id} in this graph` }))
    }
    return n!
  }

  apply(op: OpName, inputs: readonly NodeId[], attrs: Attrs = noAttrs, dtype?: DType): NodeId {
    const def = ops[op]
    if (inputs.length !== def.arity) {
      fail(
        graphError('ShapeError', {
          op,
          message: `${op}: takes ${def.arity} operand(s), got ${inputs.length}`,
        }),
      )
    }
    if (def.kind === 'elementwise' && inputs.length <= 2 && isPlain(attrs)) {
      const id = this.applyPlain(op, inputs)
      if (id !== undefined) return id
    }
    const operands = inputs.map((id) => this.node(id))
    const inferred = def.infer(op, operands, attrs, dtype)
    const existing = this.table.find(op, inferred.dtype, inputs, inferred.attrs)
    if (existing !== undefined) {
      const prior = this.node(existing)
      const named = op === 'input' || op === 'param'
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
    const { shape, attrs: normal } = inferred
    for (const v of Object.values(normal)) if (Array.isArray(v)) Object.freeze(v)
    const node: Node = {
      op,
      inputs: this.operandList(inputs),
      attrs: Object.freeze(normal),
      shape: Object.freeze(shape),
      dtype: inferred.dtype,
    }
    const id = this.push(node)
    this.table.add(id, node)
    return id
  }

  /**
   * The fast path of {@link apply} for an elementwise op of one or two
   * operands without attributes, whose shape is an operand's: no inference,
   * no key string, and the node shares that operand's frozen shape array.
   * Returns undefined for what only the op's `infer` can decide (a
   * broadcast to a new shape, mixed dtypes: errors included).
   */
  private applyPlain(op: OpName, inputs: readonly NodeId[]): NodeId | undefined {
    const x = this.node(inputs[0]!)
    let shape: Shape | undefined = x.shape
    let second = -1
    if (inputs.length === 2) {
      second = inputs[1]!
      const y = this.node(second)
      if (y.dtype !== x.dtype) return undefined
      shape = sharedShape(x.shape, y.shape)
      if (shape === undefined) return undefined
    }
    const code = opCode[op]
    const existing = this.table.findOperands(code, inputs[0]!, second)
    if (existing !== undefined) return existing
    // Operand shapes are frozen already when their graph was built here; freezing
    // again is cheap and covers graphs that were put together by hand.
    const node: Node = { op, inputs: this.operandList(inputs), attrs: noAttrs, shape: Object.freeze(shape), dtype: x.dtype }
    const id = this.push(node)
    this.table.addOperands(code, inputs[0]!, second, id)
    return id
  }

  /** Appends a node, frozen (its parts are frozen by the caller), and returns its id. */
  private push(node: Node): NodeId {
    const id = this.size
    this.added.push(this.frozen ? Object.freeze(node) : node)
    return id
  }

  /** A node's own copy of its operand ids (the caller may reuse its list). */
  private operandList(inputs: readonly NodeId[]): readonly NodeId[] {
    // Array literals rather than slice(): V8 tracks a literal's allocation
    // site and, seeing that the operand lists of a large build all survive,
    // allocates them in the old generation at once instead of copying each
    // one out of the young generation (a tenth of differentiating and
    // simplifying a large graph).
    const k = inputs.length
    const own = k === 2 ? [inputs[0]!, inputs[1]!] : k === 1 ? [inputs[0]!] : inputs.slice()
    return this.frozen ? Object.freeze(own) : own
  }

  override scalar(value: number, dtype: DType = 'f64', shape: Shape = []): NodeId {
    // Derivative rules ask for the same few scalars again and again.
    if (shape.length === 0 && typeof value === 'number' && !Object.is(value, -0)) {
      const existing = this.table.findScalar(value, dtype)
      if (existing !== undefined) return existing
    }
    return this.apply('const', [], { value, shape }, dtype)
  }
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
  const builder = new GraphBuilder(graph.nodes, baseTableOf(graph))
  let result: R
  try {
    result = recipe(builder)
  } catch (e) {
    if (e instanceof GraphFailure) return E.left(e.error)
    throw e
  }
  if (builder.newNodes.length === 0) return E.right({ graph, result })
  // The base nodes are shared and the new ones, frozen as they were built,
  // appended: one array built and frozen once (a draft would cost a proxy
  // trap per pushed node and a deep-freeze walk, over a second per 100k).
  const next: Graph = Object.freeze({ nodes: Object.freeze(graph.nodes.concat(builder.newNodes)) })
  rememberTable(next, builder.table)
  return E.right({ graph: next, result })
}

/**
 * Runs `recipe` on a builder over the empty graph, like {@link buildOrThrow},
 * but returns the new nodes unfrozen, their `inputs` arrays their own, with
 * no graph around them: for a pass that builds scratch nodes, keeps some and
 * renumbers those in place (freezing them) instead of copying them into a
 * graph of its own. Their shapes and attributes are frozen already;
 * `capacity` is the number of nodes to make room for. @internal
 */
export const buildScratch = <R>(
  recipe: (b: Builder) => R,
  capacity = 0,
): { readonly nodes: Node[]; readonly result: R } => {
  const builder = new GraphBuilder([], undefined, false, capacity)
  try {
    return { result: recipe(builder), nodes: builder.newNodes as Node[] }
  } catch (e) {
    if (e instanceof GraphFailure) throw new Error(e.error.message)
    throw e
  }
}

/**
 * {@link build} for scripts and code that knows its recipe is well-formed
 * (tests, derivative rules, examples): returns the graph and result directly
 * and throws a {@link BackpropError} with the `Left`'s message otherwise.
 *
 * @category Building
 */
export const buildOrThrow = <R>(graph: Graph, recipe: (b: Builder) => R): Built<R> => orThrow(build(graph, recipe))
