import { allocate, type TensorData } from '@backprop/backend'
import { type Node, sizeOf } from '@backprop/graph'
import type { Kernel } from '../kernel.js'

/**
 * What to do with one fiber (the values along the axis, `n` of them at
 * `base`, `base + stride`, ...), given the shift `m` (the fiber's maximum,
 * or 0 when that is not finite) and `s = sum(exp(x - m))`.
 */
type FiberWriter = (x: TensorData, out: TensorData, base: number, n: number, stride: number, m: number, s: number, at: number) => void

/**
 * Splits the node's operand as `[outer, n, inner]` around `attrs.axis` and
 * hands each fiber to `write` with its maximum and its sum of shifted
 * exponentials. Subtracting the maximum keeps every exponential at most 1,
 * so inputs like 1000 cannot overflow.
 */
const alongAxis =
  (write: FiberWriter): Kernel =>
  (node: Node, [input]) => {
    const shape = input!.shape
    const axis = node.attrs.axis!
    const n = shape[axis]!
    const outer = sizeOf(shape.slice(0, axis))
    const inner = sizeOf(shape.slice(axis + 1))
    const outSize = sizeOf(node.shape)
    const dtype = node.dtype
    return ([x]) => {
      const a = x!
      const out = allocate(dtype, outSize)
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * n * inner + i
          let max = -Infinity
          for (let j = 0, p = base; j < n; j++, p += inner) if (a[p]! > max) max = a[p]!
          // An infinite maximum would make x - max NaN; shifting by 0 then gives
          // the right limit (all -Infinity: sum 0, log-sum-exp -Infinity).
          const m = Number.isFinite(max) ? max : 0
          let s = 0
          for (let j = 0, p = base; j < n; j++, p += inner) s += Math.exp(a[p]! - m)
          write(a, out, base, n, inner, m, s, o * inner + i)
        }
      }
      return out
    }
  }

/**
 * `exp(x - m) / sum(exp(x - m))` along the axis.
 *
 * @category Kernels
 */
export const softmaxKernel: Kernel = alongAxis((x, out, base, n, stride, m, s) => {
  for (let j = 0, p = base; j < n; j++, p += stride) out[p] = Math.exp(x[p]! - m) / s
})

/**
 * `(x - m) - log(sum(exp(x - m)))` along the axis.
 *
 * @category Kernels
 */
export const logSoftmaxKernel: Kernel = alongAxis((x, out, base, n, stride, m, s) => {
  const logS = Math.log(s)
  for (let j = 0, p = base; j < n; j++, p += stride) out[p] = x[p]! - m - logS
})

/**
 * `m + log(sum(exp(x - m)))` along the axis, one value per fiber (the
 * output's row-major order is the fibers' `[outer, inner]` order whether or
 * not the axis is kept).
 *
 * @category Kernels
 */
export const logSumExpKernel: Kernel = alongAxis((_x, out, _base, _n, _stride, m, s, at) => {
  out[at] = m + Math.log(s)
})
