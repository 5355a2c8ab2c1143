/**
 * Graph to ONNX: any graph of backprop's ops (a forward network, a
 * derivative graph, a whole training step with its updates) as an ONNX
 * `ModelProto` at opset 17 and IR version 8, through one total lowering
 * table keyed by op name. Shapes are static except for an optional dynamic
 * batch axis. A pure graph transformation: this package knows no backend.
 *
 * @packageDocumentation
 */
export { IR_VERSION, OPSET, type ExportOptions, type OnnxModel, type OnnxValue, type TensorValue, toOnnx } from './export.js'
export { type OnnxError, badRequest, unexportable } from './errors.js'
export { type Lowering, lowerings } from './lowerings.js'
export type { Emitter, AttrValue, ElemType } from './emitter.js'
export {
  AttributeType,
  type AttributeProto,
  DataType,
  type DimensionProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  decodeModel,
  encodeModel,
} from './schema.js'
