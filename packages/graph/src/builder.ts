import * as E from 'fp-ts/lib/Either.js'
import { castDraft, produce } from 'immer'
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
  if (attrs.start !== undefined) key += `|b=${attrs.start}`
  if (attrs.end !== undefined) key += `|e=${attrs.end}`
  return key
}

// Inputs and parameters are identified by name alone, so that declaring a name
// twice with another shape is an error rather than a second node.
const leafKey = (op: OpName, attrs: Attrs): string | undefined =>
  op === 'input' || op === 'param' ? `${op}|n=${attrs.name}` : undefined

// The attributes of a node that has none. Shared, so that the many elementwise
// nodes of a large graph do not each carry an empty object.
const noAttrs: Attrs = Object.freeze({})

/** True when `attrs` would add nothing to a {@link nodeKey}. */
const isPlain = (attrs: Attrs): boolean =>
  attrs === noAttrs ||
  (attrs.name === undefined &&
    attrs.value === undefined &&
    attrs.values === undefined &&
    attrs.shape === undefined &&
    attrs.axes === undefined &&
    !attrs.keepdims &&
    attrs.axis === undefined &&
    attrs.perm === undefined &&
    attrs.start === undefined &&
    attrs.end === undefined)

// Numbers for the op names, to key a node by its op without hashing the name.
const opCode: { readonly [K in OpName]: number } = Object.fromEntries(
  Object.keys(ops).map((op, i) => [op, i]),
) as { [K in OpName]: number }

/**
 * An open-addressing hash table from (op code, first operand, second operand
 * or -1) to a node id, in typed arrays: the identity of an attribute-free
 * node of one or two operands costs no string, no boxed number and no
 * allocation per node.
 */
// Slots of an OperandTable when it first holds something: small, since most
// builds add a few nodes.
const minSlots = 64

class OperandTable {
  // Slots of four: op code, first operand, second operand, id (-1: free),
  // side by side so that a probe reads one cache line.
  private slots: Int32Array
  private count = 0

  /** A table with room for `capacity` entries before it grows. */
  constructor(capacity = 0) {
    let size = minSlots * 4
    while (size < 8 * capacity) size *= 2
    this.slots = new Int32Array(capacity > 0 ? size : 0).fill(-1)
  }

  /** The index of the key's slot, or of the free slot where it would go. */
  private slot(op: number, a: number, b: number): number {
    const { slots } = this
    const mask = (slots.length >> 2) - 1
    // Combine, then scramble every bit into the low ones the mask keeps
    // (MurmurHash3's finaliser).
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x27d4eb2d) ^ Math.imul(op + 1, 0x165667b1)
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    let i = (h & mask) << 2
    while (slots[i + 3] !== -1 && (slots[i] !== op || slots[i + 1] !== a || slots[i + 2] !== b)) {
      i = (i + 4) & (slots.length - 1)
    }
    return i
  }

  get(op: number, a: number, b: number): NodeId | undefined {
    if (this.count === 0) return undefined
    const id = this.slots[this.slot(op, a, b) + 3]!
    return id === -1 ? undefined : id
  }

  set(op: number, a: number, b: number, id: NodeId): void {
    // Kept at most half full, so that probe runs stay short.
    if (8 * (this.count + 1) > this.slots.length) this.grow()
    const i = this.slot(op, a, b)
    const { slots } = this
    if (slots[i + 3] === -1) this.count++
    slots[i] = op
    slots[i + 1] = a
    slots[i + 2] = b
    slots[i + 3] = id
  }

  private grow(): void {
    const old = this.slots
    this.slots = new Int32Array(Math.max(minSlots * 4, old.length * 2)).fill(-1)
    this.count = 0
    for (let i = 0; i < old.length; i += 4) if (old[i + 3] !== -1) this.set(old[i]!, old[i + 1]!, old[i + 2]!, old[i + 3]!)
  }
}

/**
 * The hash-cons table of a graph: for each node identity, its id.
 * Attribute-free nodes of one or two operands (elementwise ops, matmul) are
 * keyed by numbers in an {@link OperandTable}, scalar constants by their
 * value, and the rest by their {@link nodeKey}; dtypes need no place in the
 * numeric keys, since a non-leaf node's dtype follows from its operands.
 *
 * A build adds a layer over the table of its base graph instead of copying
 * it, so that extending a large graph by a few nodes costs a few entries;
 * lookups walk the layers, and a graph whose table has grown too many layers
 * gets a flat one. Layers never change once their build has returned.
 */
class ConsTable {
  private readonly operands: OperandTable
  private readonly scalars: readonly [Map<number, NodeId>, Map<number, NodeId>] = [new Map(), new Map()]
  private readonly keyed = new Map<string, NodeId>()
  /** Number of layers below this one. */
  readonly depth: number

  /** A layer over `parent`, with room for about `capacity` attribute-free nodes. */
  constructor(
    private readonly parent?: ConsTable,
    capacity = 0,
  ) {
    this.depth = parent === undefined ? 0 : parent.depth + 1
    this.operands = new OperandTable(capacity)
  }

  /** The id of the node with this identity, if any layer has it. */
  find(op: OpName, dtype: DType, inputs: readonly NodeId[], attrs: Attrs): NodeId | undefined {
    switch (kindOf(op, inputs, attrs)) {
      case OPERANDS:
        return this.findOperands(opCode[op], inputs[0]!, inputs.length === 2 ? inputs[1]! : -1)
      case SCALAR:
        return this.findScalar(attrs.value!, dtype)
      default: {
        const key = leafKey(op, attrs) ?? nodeKey(op, dtype, inputs, attrs)
        for (let t: ConsTable | undefined = this; t !== undefined; t = t.parent) {
          const id = t.keyed.get(key)
          if (id !== undefined) return id
        }
        return undefined
      }
    }
  }

  /** The id of the scalar constant `value` (not -0) of `dtype`, if any layer has it. */
  findScalar(value: number, dtype: DType): NodeId | undefined {
    const d = dtype === 'f32' ? 0 : 1
    for (let t: ConsTable | undefined = this; t !== undefined; t = t.parent) {
      const id = t.scalars[d].get(value)
      if (id !== undefined) return id
    }
    return undefined
  }

  /** The id of the attribute-free node of op `code` and operands `a`, `b` (-1 for none), if any layer has it. */
  findOperands(code: number, a: NodeId, b: NodeId): NodeId | undefined {
    for (let t: ConsTable | undefined = this; t !== undefined; t = t.parent) {
      const id = t.operands.get(code, a, b)
      if (id !== undefined) return id
    }
    return undefined
  }

  /** Records node `id` in this layer. */
  add(id: NodeId, node: Node): void {
    const { op, dtype, inputs, attrs } = node
    switch (kindOf(op, inputs, attrs)) {
      case OPERANDS:
        this.operands.set(opCode[op], inputs[0]!, inputs.length === 2 ? inputs[1]! : -1, id)
        return
      case SCALAR:
        this.scalars[dtype === 'f32' ? 0 : 1].set(attrs.value!, id)
        return
      default:
        this.keyed.set(leafKey(op, attrs) ?? nodeKey(op, dtype, inputs, attrs), id)
    }
  }

  /** Records the attribute-free node `id` of op `code` and operands `a`, `b` (-1 for none). */
  addOperands(code: number, a: NodeId, b: NodeId, id: NodeId): void {
    this.operands.set(code, a, b, id)
  }
}

// How a node identity is keyed in a ConsTable.
const OPERANDS = 0
const SCALAR = 1
const KEYED = 2

/**
 * {@link OPERANDS} for attribute-free nodes of one or two operands,
 * {@link SCALAR} for scalar constants (but not -0, which a map would not
 * tell from 0), {@link KEYED} for the rest.
 */
const kindOf = (op: OpName, inputs: readonly NodeId[], attrs: Attrs): number => {
  if (op === 'const') {
    const { value, shape } = attrs
    const scalar =
      typeof value === 'number' &&
      !Object.is(value, -0) &&
      attrs.values === undefined &&
      (shape === undefined || shape.length === 0) &&
      attrs.name === undefined &&
      attrs.axes === undefined &&
      !attrs.keepdims &&
      attrs.axis === undefined &&
      attrs.perm === undefined &&
      attrs.start === undefined &&
      attrs.end === undefined
    return scalar ? SCALAR : KEYED
  }
  return inputs.length >= 1 && inputs.length <= 2 && isPlain(attrs) ? OPERANDS : KEYED
}

// The hash-cons table of a graph is derived data: computed on demand, cached per graph.
const tableCache = new WeakMap<Graph, ConsTable>()

// Layers a lookup may walk before a build flattens its base table.
const maxDepth = 6

const flatTable = (graph: Graph): ConsTable => {
  const table = new ConsTable()
  graph.nodes.forEach((n, id) => table.add(id, n))
  tableCache.set(graph, table)
  return table
}

/** The table to layer a build of `graph` over (none for the empty graph). */
const baseTableOf = (graph: Graph): ConsTable | undefined => {
  if (graph.nodes.length === 0) return undefined
  const table = tableCache.get(graph)
  return table === undefined || table.depth >= maxDepth ? flatTable(graph) : table
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
    this.table = new ConsTable(baseTable, capacity)
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
    const own = inputs.slice()
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
  // appended. The node list is handed to immer already frozen: pushing 100k
  // nodes through a draft would cost a proxy trap per push and a deep-freeze
  // walk, over a second per 100k nodes, while a frozen value is taken as it is.
  const nodes = Object.freeze(graph.nodes.concat(builder.newNodes))
  const next = produce(graph, (draft) => {
    draft.nodes = castDraft(nodes)
  })
  tableCache.set(next, builder.table)
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
