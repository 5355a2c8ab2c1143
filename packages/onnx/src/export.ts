import * as E from 'fp-ts/lib/Either.js'
import { ancestors, type DType, type Graph, type NodeId, type Shape, sameShape, showShape, sizeOf } from '@backprop/graph'
import { batchAxes } from './batch-axis.js'
import { dataTypeOf, type GraphView, LoweringFailure, ModelWriter, tensorProto } from './emitter.js'
import { badRequest, type OnnxError, unexportable } from './errors.js'
import { lowerings } from './lowerings.js'
import { encodeModel, type ModelProto, type ValueInfoProto } from './schema.js'

/**
 * The ONNX IR version written: 8, read by the ONNX checker since 1.12 and by
 * every ONNX Runtime since 1.13 (onnxruntime-web included).
 *
 * @category Export
 */
export const IR_VERSION = 8

/**
 * The ONNX operator set written (default domain): 17, the widest-read
 * partner of IR version 8.
 *
 * @category Export
 */
export const OPSET = 17

/**
 * A tensor value to bake into the model: structurally the `Tensor` of
 * `@backprop/backend`, which this package does not depend on.
 *
 * @category Export
 */
export interface TensorValue {
  /** One extent per axis. */
  readonly shape: Shape
  /** The element type. */
  readonly dtype: DType
  /** Row-major elements. */
  readonly data: ArrayLike<number>
}

/**
 * Options of {@link toOnnx}.
 *
 * @category Export
 */
export interface ExportOptions {
  /** The names of the model's outputs, one per requested output; by default `output0`, `output1`, ... */
  readonly outputNames?: readonly string[]
  /**
   * Values of `param` (or `input`) nodes to store in the model as
   * initialisers; those nodes are then not inputs of the model. A trained
   * network's weights go here.
   */
  readonly values?: Readonly<Record<string, TensorValue>>
  /**
   * Inputs whose axis 0 is a dynamic batch axis, named {@link batchName} in
   * the model, so it runs on any number of samples. Every value that carries
   * the axis (see the error messages for where it cannot) gets it too; all
   * other extents stay static.
   */
  readonly batchInputs?: readonly string[]
  /** The symbolic name of the dynamic batch axis (default `N`). */
  readonly batchName?: string
  /** The ONNX graph's name (default `backprop`). */
  readonly name?: string
  /** A description stored in the model. */
  readonly description?: string
  /** Key-value metadata stored in the model (`metadata_props`). */
  readonly metadata?: Readonly<Record<string, string>>
}

/**
 * A graph input or output of an exported model.
 *
 * @category Export
 */
export interface OnnxValue {
  /** Its name in the model. */
  readonly name: string
  /** Its shape, with `null` for the dynamic batch axis. */
  readonly shape: readonly (number | null)[]
  /** Its element type. */
  readonly dtype: DType
}

/**
 * An exported model: the ONNX `ModelProto` as a plain object, its bytes (what
 * a `.onnx` file holds), and its inputs and outputs.
 *
 * @category Export
 */
export interface OnnxModel {
  /** The model as an object of the ONNX schema. */
  readonly model: ModelProto
  /** The model's protobuf bytes. */
  readonly bytes: Uint8Array
  /** The values the model is fed, in the graph's order. */
  readonly inputs: readonly OnnxValue[]
  /** The values it computes, in request order. */
  readonly outputs: readonly OnnxValue[]
}

const valueInfo = (v: OnnxValue, batchName: string): ValueInfoProto => ({
  name: v.name,
  type: {
    tensor_type: {
      elem_type: dataTypeOf(v.dtype),
      shape: { dim: v.shape.map((d) => (d === null ? { dim_param: batchName } : { dim_value: d })) },
    },
  },
})

/**
 * Gives each output its name: the value a node writes takes the output's
 * name itself, and an Identity copies only a value no node writes here (a
 * model input or initialiser) or one an earlier output already named.
 * Why not an Identity each: ONNX Runtime drops an Identity before a graph
 * output only when nothing else reads its input, so in a training step,
 * where an updated weight is also read by a check, every run copied the
 * whole weight.
 */
const nameOutputs = (writer: ModelWriter, values: readonly string[], names: readonly string[]): void => {
  const named = new Map<string, string>()
  values.forEach((value, i) => {
    const name = names[i]!
    const earlier = named.get(value)
    if (earlier === undefined && writer.rename(value, name)) named.set(value, name)
    else writer.emit('Identity', [earlier ?? value], {}, name)
  })
}

const duplicate = (names: readonly string[]): string | undefined => names.find((n, i) => names.indexOf(n) !== i)

/**
 * Writes `outputs` of `graph` as an ONNX model (IR version 8, opset 17): the
 * nodes they depend on, each through its row of {@link lowerings}; fed
 * `input` and `param` nodes as model inputs named like them, except those
 * given {@link ExportOptions.values}, which become initialisers. Works for
 * any graph of the op table: a forward network, a derivative graph, or a
 * whole training step whose outputs include the updated parameters.
 *
 * @example
 * ```ts
 * const { graph, result } = buildOrThrow(emptyGraph, (b) =>
 *   b.softmax(b.matmul(b.input('x', [1, 4], 'f32'), b.param('W', [4, 3], 'f32'))))
 * const exported = toOnnx(graph, [result], {
 *   outputNames: ['y'],
 *   values: { W: { shape: [4, 3], dtype: 'f32', data: new Float32Array(12) } },
 *   batchInputs: ['x'], // x is [N, 4], y is [N, 3]
 * })
 * if (E.isRight(exported)) writeFileSync('model.onnx', exported.right.bytes)
 * ```
 * @category Export
 */
export const toOnnx = (graph: Graph, outputs: readonly NodeId[], options: ExportOptions = {}): E.Either<OnnxError, OnnxModel> => {
  const bad = outputs.find((id) => !Number.isInteger(id) || id < 0 || id >= graph.nodes.length)
  if (bad !== undefined) return E.left(badRequest(`output #${bad} is not a node of the graph (its ids are 0..${graph.nodes.length - 1})`))
  const outputNames = options.outputNames ?? outputs.map((_, i) => `output${i}`)
  if (outputNames.length !== outputs.length) {
    return E.left(badRequest(`${outputNames.length} output names for ${outputs.length} outputs`))
  }
  const batchName = options.batchName ?? 'N'
  const values = options.values ?? {}
  const ids = ancestors(graph, outputs)

  // Leaves: fed ones become model inputs, valued ones initialisers.
  const leafNames = new Map<string, NodeId>()
  for (const id of ids) {
    const node = graph.nodes[id]!
    if (node.op !== 'input' && node.op !== 'param') continue
    const name = node.attrs.name!
    if (leafNames.has(name)) return E.left(badRequest(`'${name}' names both an input and a param of the graph`))
    leafNames.set(name, id)
  }
  for (const [name, value] of Object.entries(values)) {
    const id = leafNames.get(name)
    if (id === undefined) continue // a value the outputs do not need
    const node = graph.nodes[id]!
    if (value.dtype !== node.dtype || !sameShape(value.shape, node.shape) || value.data.length !== sizeOf(node.shape)) {
      return E.left(
        badRequest(
          `the value given for '${name}' is ${showShape(value.shape)} ${value.dtype} with ${value.data.length} elements but the graph's ${node.op} is ${showShape(node.shape)} ${node.dtype}`,
        ),
      )
    }
  }
  const fed = [...leafNames].filter(([name]) => !Object.hasOwn(values, name))
  const clash = duplicate([...leafNames.keys(), ...outputNames])
  if (clash !== undefined) return E.left(badRequest(`the name '${clash}' is used twice among the model's inputs and outputs`))

  const batchInputs = new Set(options.batchInputs ?? [])
  const unknownBatch = [...batchInputs].find((name) => !fed.some(([n, id]) => n === name && graph.nodes[id]!.op === 'input'))
  if (unknownBatch !== undefined) {
    return E.left(badRequest(`batch input '${unknownBatch}' is not an input the outputs depend on`))
  }
  const axes = batchAxes(graph, ids, batchInputs)
  if ('node' in axes) return E.left(unexportable(graph.nodes[axes.node]!.op, axes.node, axes.what))
  const { batched } = axes
  const shapeOf = (id: NodeId): (number | null)[] => graph.nodes[id]!.shape.map((d, axis) => (axis === 0 && batched.has(id) ? null : d))

  const writer = new ModelWriter([...leafNames.keys(), ...outputNames], [...batchInputs][0], batched)
  const valueOf = new Map<NodeId, string>()
  for (const [name, id] of leafNames) {
    valueOf.set(id, name)
    const value = values[name]
    if (value !== undefined) writer.initializers.push(tensorProto(name, value.data, value.shape, value.dtype))
  }
  // Readers of each node's result: the exported nodes and the model's outputs.
  const uses = new Map<NodeId, number>()
  const read = (id: NodeId) => void uses.set(id, (uses.get(id) ?? 0) + 1)
  for (const id of ids) graph.nodes[id]!.inputs.forEach(read)
  outputs.forEach(read)
  const view: GraphView = {
    nodeOf: (id) => graph.nodes[id]!,
    valueOf: (id) => valueOf.get(id)!,
    uses: (id) => uses.get(id) ?? 0,
  }
  for (const id of ids) {
    if (valueOf.has(id)) continue
    const node = graph.nodes[id]!
    try {
      valueOf.set(id, lowerings[node.op](writer.emitterFor(node, id, view), node.inputs.map((i) => valueOf.get(i)!)))
    } catch (e) {
      if (e instanceof LoweringFailure) return E.left(unexportable(node.op, id, e.message))
      throw e
    }
  }
  nameOutputs(writer, outputs.map((id) => valueOf.get(id)!), outputNames)
  writer.prune(outputNames)

  const inputs: OnnxValue[] = fed.map(([name, id]) => ({ name, shape: shapeOf(id), dtype: graph.nodes[id]!.dtype }))
  const outs: OnnxValue[] = outputs.map((id, i) => ({ name: outputNames[i]!, shape: shapeOf(id), dtype: graph.nodes[id]!.dtype }))
  const model: ModelProto = {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'backprop',
    producer_version: '0.0.0',
    ...(options.description !== undefined ? { doc_string: options.description } : {}),
    graph: {
      name: options.name ?? 'backprop',
      node: writer.nodes,
      initializer: writer.initializers,
      input: inputs.map((v) => valueInfo(v, batchName)),
      output: outs.map((v) => valueInfo(v, batchName)),
    },
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  }
  return E.right({ model, bytes: encodeModel(model), inputs, outputs: outs })
}
