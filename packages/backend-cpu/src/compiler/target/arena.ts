import type { TensorData } from '@backprop/backend'
import type { DType } from '@backprop/graph'
import type { StorageId } from '../lower/ir.js'

/**
 * The typed-array views of an executable's arena (one buffer: an
 * `ArrayBuffer`, or a WebAssembly memory's) and the byte offset of every
 * storage in it. JavaScript kernels address storage `s` of dtype `d` as
 * `arrayOf(d)[baseOf(s, d) + i]`.
 *
 * @internal
 */
export interface Arena {
  readonly f32: Float32Array
  readonly f64: Float64Array
  readonly offsets: readonly number[]
}

/** The arena's view of dtype `dtype`. @internal */
export const arrayOf = (arena: Arena, dtype: DType): TensorData => (dtype === 'f32' ? arena.f32 : arena.f64)

/** The element index where storage `s` starts in the view of `dtype`. @internal */
export const baseOf = (arena: Arena, s: StorageId, dtype: DType): number => arena.offsets[s]! / (dtype === 'f32' ? 4 : 8)

/** The arena's typed-array views over `buffer`. @internal */
export const arenaOver = (buffer: ArrayBuffer, offsets: readonly number[]): Arena => ({
  f32: new Float32Array(buffer, 0, Math.floor(buffer.byteLength / 4)),
  f64: new Float64Array(buffer, 0, Math.floor(buffer.byteLength / 8)),
  offsets,
})
