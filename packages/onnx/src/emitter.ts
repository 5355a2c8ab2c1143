import type { DType, Node, NodeId } from '@backprop/graph'
import { AttributeType, type AttributeProto, DataType, type NodeProto, type TensorProto } from './schema.js'

/** An attribute value as lowerings give it: a float, an int, or a list of ints. */
export type AttrValue = { readonly float: number } | number | readonly number[]

/** The element type of an ONNX tensor this package makes: our two dtypes, int64 for shapes and axes. */
export type ElemType = DType | 'i64'

/** The ONNX data type code of an element type. */
export const dataTypeOf = (type: ElemType): number =>
  type === 'f32' ? DataType.FLOAT : type === 'f64' ? DataType.DOUBLE : DataType.INT64

/** Row-major values as ONNX's little-endian `raw_data`. */
const rawData = (values: ArrayLike<number>, type: ElemType): Uint8Array => {
  const bytes = new Uint8Array(values.length * (type === 'f32' ? 4 : 8))
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < values.length; i++) {
    if (type === 'f32') view.setFloat32(4 * i, values[i]!, true)
    else if (type === 'f64') view.setFloat64(8 * i, values[i]!, true)
    else view.setBigInt64(8 * i, BigInt(values[i]!), true)
  }
  return bytes
}

/** A {@link TensorProto} named `name` holding `values`. */
export const tensorProto = (name: string, values: ArrayLike<number>, dims: readonly number[], type: ElemType): TensorProto => ({
  name,
  dims: [...dims],
  data_type: dataTypeOf(type),
  raw_data: rawData(values, type),
})

const attribute = (name: string, value: AttrValue): AttributeProto =>
  typeof value === 'number'
    ? { name, type: AttributeType.INT, i: value }
    : Array.isArray(value)
      ? { name, type: AttributeType.INTS, ints: [...(value as readonly number[])] }
      : { name, type: AttributeType.FLOAT, f: (value as { float: number }).float }

/**
 * Thrown by {@link Emitter.fail} inside a lowering and turned into an
 * `Unexportable` error by the exporter, so that lowerings read as straight
 * code (the graph package's builder does the same with its errors).
 */
export class LoweringFailure extends Error {}

/**
 * What a lowering writes its ONNX nodes through: fresh value names,
 * constants as initialisers, and the node being lowered (its shape, whether
 * it carries the dynamic batch axis).
 */
export interface Emitter {
  /** The node being lowered. */
  readonly node: Node
  /** Its id. */
  readonly id: NodeId
  /** Appends an ONNX node of `opType` reading `inputs`; returns the name of its (single) output. */
  emit(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, AttrValue>>): string
  /** The name of an initialiser holding `values` with `dims`, shared between equal constants. */
  constant(values: ArrayLike<number>, dims: readonly number[], type: ElemType): string
  /** A scalar of the node's dtype. */
  scalar(value: number): string
  /**
   * An int64 vector holding the node's shape as it is at run time: a
   * constant, or the batch size read from a batch input followed by the
   * static extents when the node carries the dynamic batch axis.
   */
  shape(): string
  /** Stops the export with an error naming this node and `what`. */
  fail(what: string): never
  /** Node `id` of the graph (an operand of this node, or an operand's operand). */
  nodeOf(id: NodeId): Node
  /** The name of the value holding the result of node `id`, an ancestor lowered already. */
  valueOf(id: NodeId): string
  /** How many of the exported nodes read node `id`'s result (outputs count as readers). */
  uses(id: NodeId): number
  /** Whether node `id`'s axis 0 is the dynamic batch axis, unknown until the model runs. */
  batched(id: NodeId): boolean
}

/** What the exporter tells an {@link Emitter} about the graph around the node it lowers. */
export interface GraphView {
  readonly nodeOf: (id: NodeId) => Node
  readonly valueOf: (id: NodeId) => string
  readonly uses: (id: NodeId) => number
}

/** The state behind the {@link Emitter}s of one export: the nodes and initialisers written so far. */
export class ModelWriter {
  readonly nodes: NodeProto[] = []
  readonly initializers: TensorProto[] = []
  private readonly constants = new Map<string, string>()
  private readonly taken: Set<string>
  private count = 0
  private batchSize: string | undefined

  /**
   * @param reserved names of graph inputs and outputs, which internal values must not reuse
   * @param batchSource the name of a batch input, whose axis 0 is the dynamic batch size
   * @param batched the nodes that carry the batch axis
   */
  constructor(
    reserved: Iterable<string>,
    private readonly batchSource: string | undefined,
    private readonly batched: ReadonlySet<NodeId>,
  ) {
    this.taken = new Set(reserved)
  }

  /** A value name used nowhere else in the model. */
  fresh(hint: string): string {
    let name = `${hint}_${this.count++}`
    while (this.taken.has(name)) name = `${hint}_${this.count++}`
    this.taken.add(name)
    return name
  }

  /**
   * Drops the nodes whose results reach none of `outputs` (a lowering that
   * folds a producer into its own operator, such as a transpose into Gemm's
   * flags, leaves the producer unread) and the constants only they read.
   */
  prune(outputs: readonly string[]): void {
    const read = new Set(outputs)
    const kept: NodeProto[] = []
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!
      if (!node.output.some((o) => read.has(o))) continue
      kept.push(node)
      for (const input of node.input) read.add(input)
    }
    this.nodes.splice(0, this.nodes.length, ...kept.reverse())
    const constants = new Set(this.constants.values())
    const unread = this.initializers.filter((t) => constants.has(t.name) && !read.has(t.name))
    for (const t of unread) this.initializers.splice(this.initializers.indexOf(t), 1)
  }

  /**
   * Renames the value `from`, written by a node of the model, to `to` in
   * the node that writes it and in every node that reads it; `false`, and
   * nothing renamed, when no node writes `from` (a model input or an
   * initialiser).
   */
  rename(from: string, to: string): boolean {
    if (!this.nodes.some((n) => n.output.includes(from))) return false
    const swap = (v: string): string => (v === from ? to : v)
    this.nodes.forEach((node, i) => {
      if (node.input.includes(from) || node.output.includes(from)) {
        this.nodes[i] = { ...node, input: node.input.map(swap), output: node.output.map(swap) }
      }
    })
    return true
  }

  /** Appends a node writing `output` (a fresh name unless given). */
  emit(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase())
    this.nodes.push({
      input: [...inputs],
      output: [out],
      name: out,
      op_type: opType,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    })
    return out
  }

  /** An initialiser of the values, one per distinct content. */
  constant(values: ArrayLike<number>, dims: readonly number[], type: ElemType): string {
    const key = `${type}|${dims.join(',')}|${Array.from(values).join(',')}`
    const known = this.constants.get(key)
    if (known !== undefined) return known
    const name = this.fresh('const')
    this.initializers.push(tensorProto(name, values, dims, type))
    this.constants.set(key, name)
    return name
  }

  /** The emitter a lowering of node `id` writes through. */
  emitterFor(node: Node, id: NodeId, graph: GraphView): Emitter {
    return {
      ...graph,
      node,
      id,
      batched: (other) => this.batched.has(other),
      emit: (opType, inputs, attrs) => this.emit(opType, inputs, attrs),
      constant: (values, dims, type) => this.constant(values, dims, type),
      scalar: (value) => this.constant([value], [], node.dtype),
      shape: () => {
        const dims = node.shape
        if (!this.batched.has(id)) return this.constant(dims, [dims.length], 'i64')
        // Shape-15 slices the shape itself: [N] from a batch input, read once per model.
        this.batchSize ??= this.emit('Shape', [this.batchSource!], { start: 0, end: 1 })
        return this.emit('Concat', [this.batchSize, this.constant(dims.slice(1), [dims.length - 1], 'i64')], { axis: 0 })
      },
      fail: (what) => {
        throw new LoweringFailure(what)
      },
    }
  }
}
