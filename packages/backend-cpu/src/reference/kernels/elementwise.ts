import { allocate, type TensorData } from '@backprop/backend'
import { sameShape, sizeOf } from '@backprop/graph'
import type { Kernel } from '../kernel.js'
import { broadcastStrides, forEachRow, innerExtent, innerStride } from '../strided.js'

/**
 * A kernel applying `fn` to every element. The result is stored in an array
 * of the node's dtype, so an f32 result is rounded once, as float32.
 *
 * @category Kernels
 */
export const unaryKernel =
  (fn: (x: number) => number): Kernel =>
  (node) => {
    const size = sizeOf(node.shape)
    return ([x]) => {
      const a = x!
      const out = allocate(node.dtype, size)
      for (let i = 0; i < size; i++) out[i] = fn(a[i]!)
      return out
    }
  }

/**
 * A kernel applying `fn` to two operands broadcast by NumPy's rules. Equal
 * shapes and a single-element operand get flat loops; anything else walks the
 * output row by row with strides (0 along stretched axes).
 *
 * @category Kernels
 */
export const binaryKernel =
  (fn: (a: number, b: number) => number): Kernel =>
  (node, [left, right]) => {
    const shape = node.shape
    const size = sizeOf(shape)
    const dtype = node.dtype
    const fullA = sameShape(left!.shape, shape)
    const fullB = sameShape(right!.shape, shape)
    if (fullA && fullB) {
      return ([x, y]) => {
        const a = x!
        const b = y!
        const out = allocate(dtype, size)
        for (let i = 0; i < size; i++) out[i] = fn(a[i]!, b[i]!)
        return out
      }
    }
    if (fullB && sizeOf(left!.shape) === 1) {
      return ([x, y]) => {
        const a = x![0]!
        const b = y!
        const out = allocate(dtype, size)
        for (let i = 0; i < size; i++) out[i] = fn(a, b[i]!)
        return out
      }
    }
    if (fullA && sizeOf(right!.shape) === 1) {
      return ([x, y]) => {
        const a = x!
        const b = y![0]!
        const out = allocate(dtype, size)
        for (let i = 0; i < size; i++) out[i] = fn(a[i]!, b)
        return out
      }
    }
    const strides = [broadcastStrides(left!.shape, shape), broadcastStrides(right!.shape, shape)] as const
    const inner = innerExtent(shape)
    const sa = innerStride(strides[0])
    const sb = innerStride(strides[1])
    return ([x, y]) => {
      const a = x!
      const b = y!
      const out = allocate(dtype, size)
      forEachRow(shape, strides, (offsets, o) => {
        let pa = offsets[0]!
        let pb = offsets[1]!
        for (let j = 0; j < inner; j++, pa += sa, pb += sb) out[o + j] = fn(a[pa]!, b[pb]!)
      })
      return out
    }
  }

/**
 * A kernel applying `fn` to three broadcast operands (for `where`). Equal
 * shapes get a flat loop; anything else the strided walk.
 *
 * @category Kernels
 */
export const ternaryKernel =
  (fn: (a: number, b: number, c: number) => number): Kernel =>
  (node, operands) => {
    const shape = node.shape
    const size = sizeOf(shape)
    const dtype = node.dtype
    if (operands.every((n) => sameShape(n.shape, shape))) {
      return ([x, y, z]) => {
        const a = x!
        const b = y!
        const c = z!
        const out = allocate(dtype, size)
        for (let i = 0; i < size; i++) out[i] = fn(a[i]!, b[i]!, c[i]!)
        return out
      }
    }
    const strides = operands.map((n) => broadcastStrides(n.shape, shape))
    const inner = innerExtent(shape)
    const [sa, sb, sc] = strides.map(innerStride) as [number, number, number]
    return ([x, y, z]) => {
      const a = x!
      const b = y!
      const c = z!
      const out: TensorData = allocate(dtype, size)
      forEachRow(shape, strides, (offsets, o) => {
        let pa = offsets[0]!
        let pb = offsets[1]!
        let pc = offsets[2]!
        for (let j = 0; j < inner; j++, pa += sa, pb += sb, pc += sc) out[o + j] = fn(a[pa]!, b[pb]!, c[pc]!)
      })
      return out
    }
  }

/**
 * A kernel returning its operand's array unchanged: for ops that do not
 * change values (`stopGradient`, `reshape`). Safe because no step writes
 * into an operand.
 *
 * @category Kernels
 */
export const identityKernel: Kernel = () => ([x]) => x!
