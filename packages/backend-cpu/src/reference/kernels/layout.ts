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

/**
 * Positions `start` to `end` of the operand along one axis (`slice`), or
 * the one position `start` with the axis dropped (`index`, whose elements
 * are those of the slice `start..start+1`): rows of the operand copied out.
 *
 * @category Kernels
 */
export const sliceKernel: Kernel = (node, [input]) => {
  const { axis, start } = node.attrs
  const shape = input!.shape
  const inner = sizeOf(shape.slice(axis! + 1))
  const outer = sizeOf(shape.slice(0, axis!))
  const block = (node.op === 'index' ? 1 : node.attrs.end! - start!) * inner
  const stride = shape[axis!]! * inner
  const dtype = node.dtype
  return ([x]) => {
    const out = allocate(dtype, outer * block)
    for (let o = 0; o < outer; o++) out.set(x!.subarray(o * stride + start! * inner, o * stride + start! * inner + block), o * block)
    return out
  }
}

/**
 * The two operands joined along one axis: for each position of the outer
 * axes, a block of the first then a block of the second.
 *
 * @category Kernels
 */
export const concatKernel: Kernel = (node, [a, b]) => {
  const axis = node.attrs.axis!
  const inner = sizeOf(node.shape.slice(axis + 1))
  const outer = sizeOf(node.shape.slice(0, axis))
  const [first, second] = [a!.shape[axis]! * inner, b!.shape[axis]! * inner]
  const dtype = node.dtype
  return ([x, y]) => {
    const out = allocate(dtype, outer * (first + second))
    for (let o = 0; o < outer; o++) {
      out.set(x!.subarray(o * first, (o + 1) * first), o * (first + second))
      out.set(y!.subarray(o * second, (o + 1) * second), o * (first + second) + first)
    }
    return out
  }
}
