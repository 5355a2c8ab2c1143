import { allocate } from '@backprop/backend'
import { sizeOf, stridesOf } from '@backprop/graph'
import type { Kernel } from '../kernel.js'
import { forEachRow, innerExtent, innerStride } from '../strided.js'

/**
 * A reduction over `attrs.axes`: walks the input in order and folds each
 * element into its output slot, found with the strides of the kept-dims
 * output (0 along reduced axes). Accumulates in float64 and stores once.
 * Whether `keepdims` is set only changes the shape, not the data.
 */
const reduction =
  (initial: number, fold: (acc: number, x: number) => number): Kernel =>
  (node, [input]) => {
    const inShape = input!.shape
    const axes = node.attrs.axes!
    const kept = inShape.map((d, i) => (axes.includes(i) ? 1 : d))
    const outStrides = stridesOf(kept).map((s, i) => (axes.includes(i) ? 0 : s))
    const outSize = sizeOf(node.shape)
    const inner = innerExtent(inShape)
    const step = innerStride(outStrides)
    const dtype = node.dtype
    return ([x]) => {
      const a = x!
      const acc = new Float64Array(outSize).fill(initial)
      forEachRow(inShape, [outStrides], (offsets, i) => {
        let o = offsets[0]!
        for (let j = 0; j < inner; j++, o += step) acc[o] = fold(acc[o]!, a[i + j]!)
      })
      const out = allocate(dtype, outSize)
      out.set(acc)
      return out
    }
  }

/**
 * Sum over the node's axes; an empty reduction is 0.
 *
 * @category Kernels
 */
export const sumKernel: Kernel = reduction(0, (acc, x) => acc + x)

/**
 * Maximum over the node's axes; NaN wins, ties keep the first element (so
 * `-0` before `0` gives `-0`, as the binary `max` does), and an empty
 * reduction is `-Infinity`.
 *
 * @category Kernels
 */
export const reduceMaxKernel: Kernel = reduction(-Infinity, (acc, x) => (x > acc || x !== x ? x : acc))
