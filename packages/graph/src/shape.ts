/**
 * A static tensor shape: one extent per axis; `[]` is a scalar.
 *
 * @category Shapes
 */
export type Shape = readonly number[]

/**
 * The element type of a tensor.
 *
 * @category Shapes
 */
export type DType = 'f32' | 'f64'

/**
 * Number of elements of a tensor of this shape.
 *
 * @category Shapes
 */
export const sizeOf = (shape: Shape): number => shape.reduce((n, d) => n * d, 1)

/**
 * True when both shapes have the same rank and extents.
 *
 * @category Shapes
 */
export const sameShape = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/**
 * The shape two operands broadcast to by NumPy's rules (align trailing axes;
 * an extent of 1 stretches), or `undefined` when they don't broadcast.
 *
 * @category Shapes
 */
export const broadcastShapes = (a: Shape, b: Shape): Shape | undefined => {
  const rank = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1
    const db = b[b.length - rank + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) return undefined
    out.push(da === 1 ? db : da)
  }
  return out
}

/**
 * Row-major strides of a shape, in elements.
 *
 * @category Shapes
 */
export const stridesOf = (shape: Shape): number[] => {
  const strides = new Array<number>(shape.length)
  let s = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s
    s *= shape[i]!
  }
  return strides
}

/**
 * Normalises axes that may be negative (counted from the end) to ascending
 * non-negative axes, or `undefined` when one is out of range or repeated.
 *
 * @category Shapes
 */
export const normalizeAxes = (axes: readonly number[], rank: number): number[] | undefined => {
  const out = axes.map((a) => (a < 0 ? a + rank : a))
  if (out.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) return undefined
  const sorted = [...new Set(out)].sort((x, y) => x - y)
  return sorted.length === out.length ? sorted : undefined
}

/**
 * Formats a shape the way error messages show it, e.g. `[2,3]`.
 *
 * @category Shapes
 */
export const showShape = (shape: Shape): string => `[${shape.join(',')}]`
