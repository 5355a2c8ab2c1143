import type { Tensor, TensorSpec } from '@backprop/backend'
import { allocate } from '@backprop/backend'
import type { DType } from '@backprop/graph'
import * as ort from 'onnxruntime-node'

/** ONNX Runtime's name of a dtype. */
const ortType = (dtype: DType): 'float32' | 'float64' => (dtype === 'f32' ? 'float32' : 'float64')

/** An ONNX Runtime tensor over the tensor's own data (no copy; ONNX Runtime never writes its inputs). */
export const toOrt = (t: Tensor): ort.Tensor => new ort.Tensor(ortType(t.dtype), t.data, [...t.shape])

/** A zero-filled ONNX Runtime tensor of the spec, for a run to write into. */
export const allocateOrt = (spec: TensorSpec): ort.Tensor =>
  new ort.Tensor(ortType(spec.dtype), allocate(spec.dtype, spec.shape.reduce((n, d) => n * d, 1)), [...spec.shape])

/**
 * Our tensor of an ONNX Runtime output. Each output of a run is a fresh
 * array (ONNX Runtime copies it into JavaScript memory), so it is taken
 * without another copy; `copy` copies, for tensors a caller keeps using.
 */
export const fromOrt = (t: ort.Tensor, spec: TensorSpec, copy = false): Tensor => {
  const data = t.data as Float32Array | Float64Array
  return { shape: [...spec.shape], dtype: spec.dtype, data: copy ? data.slice() : data }
}
