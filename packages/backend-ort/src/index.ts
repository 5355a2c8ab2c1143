/**
 * A Backend on ONNX Runtime (`onnxruntime-node`): graphs exported to ONNX
 * and run on native kernels, on the CPU or on any execution provider the
 * installed ONNX Runtime has (CUDA and others, see the README); training
 * steps hold their parameters as ONNX Runtime tensors.
 *
 * @packageDocumentation
 */
export { ortBackend } from './backend.js'
export { type OrtBackendOptions, parseOrtSpec } from './options.js'
