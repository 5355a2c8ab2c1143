import { allocate, type TensorData } from '@backprop/backend'
import { type Shape, sizeOf, stridesOf } from '@backprop/graph'
import type { Kernel } from '../kernel.js'
import { broadcastStrides, forEachRow, innerExtent, innerStride } from '../strided.js'

/** Copies `src` read with `strides` into a fresh row-major array of `shape`. @internal */
const gather = (src: TensorData, strides: readonly number[], shape: Shape, out: TensorData): TensorData => {
  const inner = innerExtent(shape)
  const step = innerStride(strides)
  forEachRow(shape, [strides], (offsets, o) => {
    let p = offsets[0]!
    for (let j = 0; j < inner; j++, p += step) out[o + j] = src[p]!
  })
  return out
}

/**
 * Permutes axes: output axis `i` is input axis `perm[i]`. A plain matrix
 * transpose gets its own loop; other permutations read the input with
 * permuted strides.
 *
 * @category Kernels
 */
export const transposeKernel: Kernel = (node, [input]) => {
  const perm = node.attrs.perm!
  const inShape = input!.shape
  const size = sizeOf(node.shape)
  const dtype = node.dtype
  if (perm.length === 2 && perm[0] === 1) {
    const rows = inShape[0]!
    const cols = inShape[1]!
    return ([x]) => {
      const a = x!
      const out = allocate(dtype, size)
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!
      return out
    }
  }
  const own = stridesOf(inShape)
  const strides = perm.map((p) => own[p]!)
  return ([x]) => gather(x!, strides, node.shape, allocate(dtype, size))
}

/**
 * Stretches the operand to the node's shape (NumPy rules), materialising
 * the repeated values.
 *
 * @category Kernels
 */
export const broadcastKernel: Kernel = (node, [input]) => {
  const strides = broadcastStrides(input!.shape, node.shape)
  const size = sizeOf(node.shape)
  const dtype = node.dtype
  if (sizeOf(input!.shape) === size) return ([x]) => x!
  return ([x]) => gather(x!, strides, node.shape, allocate(dtype, size))
}
