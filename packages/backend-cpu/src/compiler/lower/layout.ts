import type { Shape } from '@backprop/graph'
import type { Leaf, View } from './ir.js'

/** A fused loop's iteration space: `rows` x `cols`, the result row-major in it. @internal */
export interface LoopLayout {
  readonly rows: number
  readonly cols: number
}

/**
 * How `view` (already broadcast to the loop's shape) reads in the layout
 * that splits the shape before axis `split`, or `undefined` when it cannot
 * be read with one row stride and a column stride of 0 or 1.
 */
const leafAt = (shape: readonly number[], strides: readonly number[], split: number): { rowStride: number; colStride: 0 | 1 } | undefined => {
  let colStride: 0 | 1 | undefined
  let expected = 1
  for (let axis = shape.length - 1; axis >= split; axis--) {
    const s = strides[axis]!
    const kind = s === 0 ? 0 : s === expected ? 1 : undefined
    if (kind === undefined || (colStride !== undefined && kind !== colStride)) return undefined
    colStride = kind
    expected *= shape[axis]!
  }
  if (split === 0) return { rowStride: 0, colStride: colStride ?? 0 }
  const rowStride = strides[split - 1]!
  let scale = shape[split - 1]!
  for (let axis = split - 2; axis >= 0; axis--) {
    if (strides[axis] !== rowStride * scale) return undefined
    scale *= shape[axis]!
  }
  return { rowStride, colStride: colStride ?? 0 }
}

/** Drops the axes of extent 1 from a shape and from each view's strides (they are never stepped along). */
const squeeze = (shape: Shape, views: readonly View[]): { shape: number[]; strides: number[][] } => {
  const keep = shape.map((d, i) => (d !== 1 ? i : -1)).filter((i) => i >= 0)
  return { shape: keep.map((i) => shape[i]!), strides: views.map((v) => keep.map((i) => v.strides[i]!)) }
}

/**
 * Chooses the loop layout of a fused group of `shape` whose operands are
 * `views` (broadcast to `shape`): the widest rows (best for SIMD) such that
 * as many operands as possible read with one row stride and a column stride
 * of 0 or 1. Returns the layout, each readable operand's leaf, and
 * `undefined` for the operands that must first be copied contiguous.
 *
 * With `split` given (a matrix product's epilogue, split after the first
 * axis so that the loop's rows are the product's rows), that split is used
 * as is.
 *
 * @internal
 */
export const chooseLayout = (
  shape: Shape,
  views: readonly View[],
  split?: number,
): { layout: LoopLayout; leaves: (Pick<Leaf, 'rowStride' | 'colStride'> | undefined)[] } => {
  const size = shape.reduce((n, d) => n * d, 1)
  if (split !== undefined) {
    const rows = shape.slice(0, split).reduce((n, d) => n * d, 1)
    // An axis of extent 1 is never stepped along, whatever its stride.
    const leaves = views.map((v) => leafAt(shape, v.strides.map((s, i) => (shape[i] === 1 ? 0 : s)), split))
    return { layout: { rows, cols: rows === 0 ? 0 : size / rows }, leaves }
  }
  const squeezed = squeeze(shape, views)
  let best: { split: number; leaves: (Pick<Leaf, 'rowStride' | 'colStride'> | undefined)[]; misses: number } | undefined
  for (let s = 0; s <= squeezed.shape.length; s++) {
    const leaves = squeezed.strides.map((strides) => leafAt(squeezed.shape, strides, s))
    const misses = leaves.filter((l) => l === undefined).length
    if (best === undefined || misses < best.misses) best = { split: s, leaves, misses }
    if (misses === 0) break
  }
  const rows = squeezed.shape.slice(0, best!.split).reduce((n, d) => n * d, 1)
  return { layout: { rows, cols: size / Math.max(rows, 1) || 0 }, leaves: best!.leaves }
}
