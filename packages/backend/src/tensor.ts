import * as E from 'fp-ts/lib/Either.js'
import { type DType, type Shape, showShape, sizeOf, stridesOf } from '@backprop/graph'
import { badTensor, type BackendError } from './errors.js'

/**
 * The values of a tensor, row-major: a `Float32Array` for `f32` and a
 * `Float64Array` for `f64`.
 *
 * @category Tensors
 */
export type TensorData = Float32Array | Float64Array

/**
 * A tensor value: a shape, an element type and row-major data with exactly
 * `sizeOf(shape)` elements of that type. Tensors handed to a backend are
 * never mutated by it, and tensors a backend returns belong to the caller.
 *
 * @category Tensors
 */
export interface Tensor {
  /** One extent per axis; `[]` is a scalar. */
  readonly shape: Shape
  /** The element type; decides the class of {@link Tensor.data}. */
  readonly dtype: DType
  /** The elements in row-major order. */
  readonly data: TensorData
}

/**
 * A JSON-style nested array of numbers (a bare number is a scalar).
 *
 * @category Tensors
 */
export type Nested = number | readonly Nested[]

/**
 * A zero-filled data array of `size` elements of `dtype`.
 *
 * @category Tensors
 */
export const allocate = (dtype: DType, size: number): TensorData =>
  dtype === 'f32' ? new Float32Array(size) : new Float64Array(size)

/**
 * True when `data` is the array class that `dtype` calls for.
 *
 * @category Tensors
 */
export const isDataOf = (data: TensorData, dtype: DType): boolean =>
  dtype === 'f32' ? data instanceof Float32Array : data instanceof Float64Array

/**
 * A tensor holding a copy of `values` (rounded to float32 when `dtype` is
 * `f32`). Meant for literals in code and tests, like `buildOrThrow`: it
 * throws a `RangeError` when the values do not fill the shape. Use
 * {@link fromNested} for data read from outside.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], 'f32')
 * ```
 * @category Tensors
 */
export const tensor = (values: ArrayLike<number>, shape: Shape, dtype: DType = 'f64'): Tensor => {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`invalid shape ${showShape(shape)}`)
  }
  if (values.length !== sizeOf(shape)) {
    throw new RangeError(`${values.length} values do not fill shape ${showShape(shape)}`)
  }
  const data = allocate(dtype, values.length)
  for (let i = 0; i < values.length; i++) data[i] = values[i]!
  return { shape: [...shape], dtype, data }
}

/**
 * A scalar (shape `[]`) tensor.
 *
 * @category Tensors
 */
export const scalarTensor = (value: number, dtype: DType = 'f64'): Tensor => tensor([value], [], dtype)

/**
 * A copy of `t` whose data the caller owns.
 *
 * @category Tensors
 */
export const cloneTensor = (t: Tensor): Tensor => ({ shape: [...t.shape], dtype: t.dtype, data: t.data.slice() })

/**
 * The tensor as a JSON-style nested array (a number for a scalar).
 *
 * @example
 * ```ts
 * toNested(tensor([1, 2, 3, 4], [2, 2])) // [[1, 2], [3, 4]]
 * ```
 * @category Tensors
 */
export const toNested = (t: Tensor): Nested => {
  const strides = stridesOf(t.shape)
  const nest = (axis: number, offset: number): Nested => {
    if (axis === t.shape.length) return t.data[offset]!
    const out: Nested[] = []
    for (let i = 0; i < t.shape[axis]!; i++) out.push(nest(axis + 1, offset + i * strides[axis]!))
    return out
  }
  return nest(0, 0)
}

/**
 * Reads a JSON-style nested array (or a bare number) as a tensor of `dtype`,
 * inferring the shape from the nesting. Ragged nesting or a non-number is a
 * `BadTensor` error that names the position, e.g. `ragged nested array at [1]:
 * expected 3 entries, got 2`.
 *
 * @example
 * ```ts
 * fromNested([[1, 2, 3], [4, 5, 6]], 'f32') // Right: shape [2,3]
 * ```
 * @category Tensors
 */
export const fromNested = (nested: unknown, dtype: DType = 'f64'): E.Either<BackendError, Tensor> => {
  // The shape follows the first entry at every level; every other entry must agree.
  const shape: number[] = []
  for (let level: unknown = nested; Array.isArray(level); level = level[0]) shape.push(level.length)
  const values: number[] = []
  const walk = (value: unknown, axis: number, at: readonly number[]): BackendError | undefined => {
    const where = `[${at.join(',')}]`
    if (axis === shape.length) {
      if (typeof value !== 'number') {
        return badTensor(`expected a number at ${where} of a nested array, got ${Array.isArray(value) ? 'an array' : typeof value}`)
      }
      values.push(value)
      return undefined
    }
    if (!Array.isArray(value)) {
      return badTensor(`ragged nested array at ${where}: expected an array of ${shape[axis]} entries, got ${typeof value}`)
    }
    if (value.length !== shape[axis]) {
      return badTensor(`ragged nested array at ${where}: expected ${shape[axis]} entries, got ${value.length}`)
    }
    for (let i = 0; i < value.length; i++) {
      const error = walk(value[i], axis + 1, [...at, i])
      if (error) return error
    }
    return undefined
  }
  const error = walk(nested, 0, [])
  return error ? E.left(error) : E.right(tensor(values, shape, dtype))
}
