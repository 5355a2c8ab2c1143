import type { Attrs, Graph, Node, NodeId } from './graph.js'
import { type OpName, ops } from './ops.js'
import type { DType } from './shape.js'

// Hash-consing: the table from a node's identity (op, dtype, operands,
// attributes) to its id, which makes building the same node twice return
// the first one. The builder asks it before appending a node.

const numberKey = (v: number): string => (Object.is(v, -0) ? '-0' : String(v))

/** The identity of a node for hash-consing: op, dtype, inputs and attributes. */
const nodeKey = (op: OpName, dtype: DType, inputs: readonly NodeId[], attrs: Attrs): string => {
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

/**
 * The attributes of a node that has none. Shared, so that the many
 * elementwise nodes of a large graph do not each carry an empty object.
 */
export const noAttrs: Attrs = Object.freeze({})

/** True when `attrs` sets nothing but (maybe) `value` and `shape`. */
const onlyValueAndShape = (attrs: Attrs): boolean =>
  attrs.name === undefined &&
  attrs.values === undefined &&
  attrs.axes === undefined &&
  !attrs.keepdims &&
  attrs.axis === undefined &&
  attrs.perm === undefined &&
  attrs.start === undefined &&
  attrs.end === undefined

/** True when `attrs` would add nothing to a {@link nodeKey}. */
export const isPlain = (attrs: Attrs): boolean =>
  attrs === noAttrs || (attrs.value === undefined && attrs.shape === undefined && onlyValueAndShape(attrs))

/** Numbers for the op names, to key a node by its op without hashing the name. */
export const opCode: { readonly [K in OpName]: number } = Object.fromEntries(
  Object.keys(ops).map((op, i) => [op, i]),
) as { [K in OpName]: number }

/**
 * An open-addressing hash table from (op code, first operand, second operand
 * or -1) to a node id, in typed arrays: the identity of an attribute-free
 * node of one or two operands costs no string, no boxed number and no
 * allocation per node.
 *
 * Its entries are the nodes of one build, whose ids are consecutive from
 * `first`: their keys are stored densely by id (three ints each), so that a
 * slot holds only an id, four bytes. Large builds spend much of their time
 * touching new memory, and this takes about half the memory of slots that
 * each hold a whole key (and needs no fill: a free slot is 0).
 */
// Slots of an OperandTable when it first holds something: small, since most
// builds add a few nodes.
const minSlots = 64

class OperandTable {
  // Per id from `first`: op code, first operand, second operand. Ids without
  // an entry (nodes kept elsewhere) leave their three ints unused.
  private keys: Int32Array
  // Linear probing over id + 1 of each entry, 0 for a free slot (so a new
  // table needs no fill); kept at most half full, so probe runs stay short.
  private slots: Int32Array
  private count = 0

  /** A table for ids from `first`, with room for `capacity` entries before it grows. */
  constructor(
    private readonly first: number,
    capacity = 0,
  ) {
    let size = minSlots
    while (size < 2 * capacity) size *= 2
    this.slots = new Int32Array(capacity > 0 ? size : 0)
    this.keys = new Int32Array(3 * capacity)
  }

  /** The index of the key's slot, or of the free slot where it would go. */
  private slot(op: number, a: number, b: number): number {
    const { slots, keys, first } = this
    const mask = slots.length - 1
    // Combine, then scramble every bit into the low ones the mask keeps
    // (MurmurHash3's finaliser).
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x27d4eb2d) ^ Math.imul(op + 1, 0x165667b1)
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    let i = h & mask
    for (;;) {
      const entry = slots[i]!
      if (entry === 0) return i
      const k = 3 * (entry - 1 - first)
      if (keys[k] === op && keys[k + 1] === a && keys[k + 2] === b) return i
      i = (i + 1) & mask
    }
  }

  get(op: number, a: number, b: number): NodeId | undefined {
    if (this.count === 0) return undefined
    const entry = this.slots[this.slot(op, a, b)]!
    return entry === 0 ? undefined : entry - 1
  }

  set(op: number, a: number, b: number, id: NodeId): void {
    const k = 3 * (id - this.first)
    if (k + 3 > this.keys.length) {
      const keys = new Int32Array(Math.max(2 * this.keys.length, k + 3, 3 * minSlots))
      keys.set(this.keys)
      this.keys = keys
    }
    if (2 * (this.count + 1) > this.slots.length) this.grow()
    const i = this.slot(op, a, b)
    if (this.slots[i] === 0) this.count++
    this.keys[k] = op
    this.keys[k + 1] = a
    this.keys[k + 2] = b
    this.slots[i] = id + 1
  }

  private grow(): void {
    const old = this.slots
    this.slots = new Int32Array(Math.max(minSlots, 2 * old.length))
    this.count = 0
    const { keys, first } = this
    for (let i = 0; i < old.length; i++) {
      const entry = old[i]!
      if (entry === 0) continue
      const k = 3 * (entry - 1 - first)
      this.slots[this.slot(keys[k]!, keys[k + 1]!, keys[k + 2]!)] = entry
      this.count++
    }
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
export class ConsTable {
  private readonly operands: OperandTable
  private readonly scalars: readonly [Map<number, NodeId>, Map<number, NodeId>] = [new Map(), new Map()]
  private readonly keyed = new Map<string, NodeId>()
  /** Number of layers below this one. */
  readonly depth: number

  /**
   * A layer over `parent` for the nodes of one build, numbered from `first`
   * on, with room for about `capacity` attribute-free nodes.
   */
  constructor(
    private readonly parent: ConsTable | undefined,
    first: number,
    capacity = 0,
  ) {
    this.depth = parent === undefined ? 0 : parent.depth + 1
    this.operands = new OperandTable(first, capacity)
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
    const scalar = typeof value === 'number' && !Object.is(value, -0) && (shape === undefined || shape.length === 0) && onlyValueAndShape(attrs)
    return scalar ? SCALAR : KEYED
  }
  return inputs.length >= 1 && inputs.length <= 2 && isPlain(attrs) ? OPERANDS : KEYED
}

// The hash-cons table of a graph is derived data: computed on demand, cached per graph.
const tableCache = new WeakMap<Graph, ConsTable>()

// Layers a lookup may walk before a build flattens its base table.
const maxDepth = 6

const flatTable = (graph: Graph): ConsTable => {
  const table = new ConsTable(undefined, 0, graph.nodes.length)
  graph.nodes.forEach((n, id) => table.add(id, n))
  tableCache.set(graph, table)
  return table
}

/** The table to layer a build of `graph` over (none for the empty graph). */
export const baseTableOf = (graph: Graph): ConsTable | undefined => {
  if (graph.nodes.length === 0) return undefined
  const table = tableCache.get(graph)
  return table === undefined || table.depth >= maxDepth ? flatTable(graph) : table
}

/** Caches `table` as the hash-cons table of `graph`, a graph just built over it. */
export const rememberTable = (graph: Graph, table: ConsTable): void => {
  tableCache.set(graph, table)
}
