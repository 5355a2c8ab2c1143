import protobuf from 'protobufjs'

/**
 * The part of ONNX's `onnx.proto` (IR version 8) that this package writes,
 * declared once: message and field names and numbers as in the ONNX
 * specification, so any ONNX reader parses what we write. Fields we never
 * write are left out; a protobuf reader skips nothing it needs.
 */
const onnxProto = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8;
  }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  optional AttributeType type = 20;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5;
    INT32 = 6; INT64 = 7; STRING = 8; BOOL = 9; FLOAT16 = 10; DOUBLE = 11;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  optional string doc_string = 12;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`

const root = protobuf.parse(onnxProto, { keepCase: true }).root

/** The `ModelProto` message type, for encoding and (in tests and tools) decoding. */
const modelType = root.lookupType('onnx.ModelProto')

/**
 * ONNX tensor element types this package writes (`TensorProto.DataType`).
 *
 * @category ONNX
 */
export const DataType = { FLOAT: 1, INT64: 7, BOOL: 9, DOUBLE: 11 } as const

/**
 * ONNX attribute types this package writes (`AttributeProto.AttributeType`).
 *
 * @category ONNX
 */
export const AttributeType = { FLOAT: 1, INT: 2, INTS: 7 } as const

/**
 * A tensor as ONNX stores it: dimensions, element type and little-endian
 * bytes (`raw_data`).
 *
 * @category ONNX
 */
export interface TensorProto {
  /** The name it is referred to by (initialisers). */
  readonly name: string
  /** One extent per axis. */
  readonly dims: readonly number[]
  /** A {@link DataType} code. */
  readonly data_type: number
  /** The elements, little-endian, row-major. */
  readonly raw_data: Uint8Array
}

/**
 * A node attribute. Exactly one value field is set, the one `type` names.
 *
 * @category ONNX
 */
export interface AttributeProto {
  /** The attribute's name, e.g. `axis`. */
  readonly name: string
  /** An {@link AttributeType} code. */
  readonly type: number
  /** `FLOAT` value. */
  readonly f?: number
  /** `INT` value. */
  readonly i?: number
  /** `INTS` value. */
  readonly ints?: readonly number[]
}

/**
 * One operator application in an ONNX graph.
 *
 * @category ONNX
 */
export interface NodeProto {
  /** Names of the values it reads. */
  readonly input: readonly string[]
  /** Names of the values it defines. */
  readonly output: readonly string[]
  /** A name for messages and tools. */
  readonly name: string
  /** The ONNX operator, e.g. `MatMul`. */
  readonly op_type: string
  /** Its attributes. */
  readonly attribute: readonly AttributeProto[]
}

/**
 * One axis of a declared shape: a fixed extent or a named symbolic one.
 *
 * @category ONNX
 */
export type DimensionProto = { readonly dim_value: number } | { readonly dim_param: string }

/**
 * A graph input or output: its name, element type and shape.
 *
 * @category ONNX
 */
export interface ValueInfoProto {
  /** The value's name. */
  readonly name: string
  /** Its type: always a tensor here. */
  readonly type: {
    readonly tensor_type: {
      readonly elem_type: number
      readonly shape: { readonly dim: readonly DimensionProto[] }
    }
  }
}

/**
 * An ONNX graph: nodes in topological order, initialisers, inputs, outputs.
 *
 * @category ONNX
 */
export interface GraphProto {
  /** The graph's name. */
  readonly name: string
  /** Operators, in topological order. */
  readonly node: readonly NodeProto[]
  /** Constant tensors (parameters baked in, constants of the graph). */
  readonly initializer: readonly TensorProto[]
  /** Values fed at run time. */
  readonly input: readonly ValueInfoProto[]
  /** Values computed. */
  readonly output: readonly ValueInfoProto[]
}

/**
 * A whole ONNX model: the graph, the IR version and the operator sets it
 * uses, and free-form metadata.
 *
 * @category ONNX
 */
export interface ModelProto {
  /** ONNX IR version. */
  readonly ir_version: number
  /** The operator set of each domain used (`''` is the default domain). */
  readonly opset_import: readonly { readonly domain: string; readonly version: number }[]
  /** The tool that wrote the model. */
  readonly producer_name: string
  /** Its version. */
  readonly producer_version: string
  /** A description. */
  readonly doc_string?: string
  /** The graph. */
  readonly graph: GraphProto
  /** Key-value metadata. */
  readonly metadata_props: readonly { readonly key: string; readonly value: string }[]
}

/**
 * The protobuf bytes of a model, what a `.onnx` file holds.
 *
 * @category ONNX
 */
export const encodeModel = (model: ModelProto): Uint8Array => modelType.encode(modelType.fromObject(model)).finish()

/**
 * Reads the bytes of a `.onnx` file back into a plain object with the fields
 * of this package's schema subset (64-bit integers as numbers, bytes as
 * `Uint8Array`). Throws on bytes that are not a protobuf message; meant for
 * tests and tools that inspect what {@link encodeModel} wrote.
 *
 * @category ONNX
 */
export const decodeModel = (bytes: Uint8Array): ModelProto =>
  modelType.toObject(modelType.decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false, arrays: true }) as ModelProto
