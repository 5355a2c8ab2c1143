// Straightforward reference implementations that the conformance suite
// computes expected values with. They are written for obviousness, not
// speed: every element is addressed by its multi-index, and nothing here is
// shared with any backend (nor with the op table's scalar functions, so a
// wrong convention there shows up as a failure here).

/**
 * A reference value: shape, row-major float64 values, and optionally, per
 * element, the sum of the magnitudes of the terms it accumulates (for
 * tolerances of sums, where cancellation makes the result small but the
 * rounding error is relative to the terms).
 *
 * @internal
 */
export interface Ref {
  /** One extent per axis. */
  readonly shape: readonly number[]
  /** Row-major values. */
  readonly values: readonly number[]
  /** Per element: the magnitude that the rounding error scales with. */
  readonly scale?: readonly number[]
}

/** Number of elements of `shape`. @internal */
export const count = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1)

/** The multi-index of row-major position `flat` in `shape`. @internal */
export const unravel = (flat: number, shape: readonly number[]): number[] => {
  const index = new Array<number>(shape.length).fill(0)
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const extent = shape[axis]!
    index[axis] = flat % extent
    flat = Math.floor(flat / extent)
  }
  return index
}

/** The row-major position of multi-index `index` in `shape`. @internal */
export const ravel = (index: readonly number[], shape: readonly number[]): number => {
  let flat = 0
  for (let axis = 0; axis < shape.length; axis++) flat = flat * shape[axis]! + index[axis]!
  return flat
}

/** The NumPy broadcast of several shapes (throws if they don't broadcast: a bug in a case). @internal */
export const broadcastAll = (shapes: readonly (readonly number[])[]): number[] => {
  const rank = Math.max(0, ...shapes.map((s) => s.length))
  const out: number[] = []
  for (let axis = 0; axis < rank; axis++) {
    const extents = shapes.map((s) => s[s.length - rank + axis] ?? 1)
    const big = extents.filter((d) => d !== 1)
    if (new Set(big).size > 1) throw new Error(`case bug: shapes ${JSON.stringify(shapes)} do not broadcast`)
    out.push(big[0] ?? 1)
  }
  return out
}

/** The element of `x` that position `index` of a broadcast result of rank `rank` reads. @internal */
const broadcastRead = (x: Ref, index: readonly number[]): number => {
  const offset = index.length - x.shape.length
  const own = x.shape.map((d, axis) => (d === 1 ? 0 : index[axis + offset]!))
  return x.values[ravel(own, x.shape)]!
}

/**
 * `fn` applied elementwise to operands broadcast to `shape` (by default,
 * their common broadcast shape).
 *
 * @internal
 */
export const refMap = (fn: (...xs: number[]) => number, xs: readonly Ref[], shape?: readonly number[]): Ref => {
  const out = shape ?? broadcastAll(xs.map((x) => x.shape))
  const values: number[] = []
  for (let i = 0; i < count(out); i++) {
    const index = unravel(i, out)
    values.push(fn(...xs.map((x) => broadcastRead(x, index))))
  }
  return { shape: out, values }
}

/** `[m,k] x [k,n]` by the textbook triple loop. @internal */
export const refMatmul = (a: Ref, b: Ref): Ref => {
  const [m, k] = a.shape as [number, number]
  const n = b.shape[1]!
  const values: number[] = []
  const scale: number[] = []
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0
      let magnitude = 0
      for (let p = 0; p < k; p++) {
        const term = a.values[i * k + p]! * b.values[p * n + j]!
        sum += term
        magnitude += Math.abs(term)
      }
      values.push(sum)
      scale.push(magnitude)
    }
  }
  return { shape: [m, n], values, scale }
}

/** Output axis `i` is input axis `perm[i]`. @internal */
export const refTranspose = (x: Ref, perm: readonly number[]): Ref => {
  const shape = perm.map((p) => x.shape[p]!)
  const values: number[] = []
  for (let i = 0; i < count(shape); i++) {
    const index = unravel(i, shape)
    const source = new Array<number>(x.shape.length)
    perm.forEach((p, axis) => (source[p] = index[axis]!))
    values.push(x.values[ravel(source, x.shape)]!)
  }
  return { shape, values }
}

/**
 * Sum or maximum over `axes` (normalised, ascending). The maximum keeps the
 * first of equal elements and lets NaN win, like the binary `max`.
 *
 * @internal
 */
export const refReduce = (x: Ref, kind: 'sum' | 'max', axes: readonly number[], keepdims: boolean): Ref => {
  const kept = x.shape.map((d, axis) => (axes.includes(axis) ? 1 : d))
  const acc: (number | undefined)[] = new Array(count(kept)).fill(undefined)
  const scale: number[] = new Array(count(kept)).fill(0)
  for (let i = 0; i < x.values.length; i++) {
    const index = unravel(i, x.shape).map((v, axis) => (axes.includes(axis) ? 0 : v))
    const o = ravel(index, kept)
    const v = x.values[i]!
    const prior = acc[o]
    if (kind === 'sum') acc[o] = (prior ?? 0) + v
    else acc[o] = prior === undefined || v > prior || Number.isNaN(v) ? v : prior
    scale[o]! += Math.abs(v)
  }
  const values = acc.map((v) => v ?? (kind === 'sum' ? 0 : -Infinity))
  const shape = keepdims ? kept : x.shape.filter((_, axis) => !axes.includes(axis))
  return kind === 'sum' ? { shape, values, scale } : { shape, values }
}

/**
 * Softmax, log-softmax or log-sum-exp of every fiber along `axis`, each
 * computed from the fiber's values with the max subtracted first.
 *
 * @internal
 */
export const refAlongAxis = (
  x: Ref,
  kind: 'softmax' | 'logSoftmax' | 'logSumExp',
  axis: number,
  keepdims = false,
): Ref => {
  const fiberShape = x.shape.map((d, a) => (a === axis ? 1 : d))
  const fibers = new Map<number, number[]>()
  for (let i = 0; i < x.values.length; i++) {
    const index = unravel(i, x.shape)
    index[axis] = 0
    const key = ravel(index, fiberShape)
    fibers.set(key, [...(fibers.get(key) ?? []), i])
  }
  const outValues: number[] = kind === 'logSumExp' ? new Array(count(fiberShape)).fill(0) : [...x.values]
  for (const [key, positions] of fibers) {
    const vs = positions.map((p) => x.values[p]!)
    const m = Math.max(...vs)
    const shift = Number.isFinite(m) ? m : 0
    const total = vs.reduce((s, v) => s + Math.exp(v - shift), 0)
    if (kind === 'logSumExp') outValues[key] = shift + Math.log(total)
    else
      positions.forEach((p, j) => {
        outValues[p] = kind === 'softmax' ? Math.exp(vs[j]! - shift) / total : vs[j]! - shift - Math.log(total)
      })
  }
  if (kind !== 'logSumExp') return { shape: x.shape, values: outValues }
  return { shape: keepdims ? fiberShape : x.shape.filter((_, a) => a !== axis), values: outValues }
}

/** Positions `start` to `end` (exclusive) of `x` along `axis`; with `drop`, that axis (of extent 1) removed. @internal */
export const refSlice = (x: Ref, axis: number, start: number, end: number, drop = false): Ref => {
  const kept = x.shape.map((d, i) => (i === axis ? end - start : d))
  const values = Array.from({ length: count(kept) }, (_, flat) => {
    const index = unravel(flat, kept)
    index[axis] = index[axis]! + start
    return x.values[ravel(index, x.shape)]!
  })
  return { shape: drop ? kept.filter((_, i) => i !== axis) : kept, values }
}

/** `a` and `b` joined along `axis`. @internal */
export const refConcat = (a: Ref, b: Ref, axis: number): Ref => {
  const shape = a.shape.map((d, i) => (i === axis ? d + b.shape[i]! : d))
  const values = Array.from({ length: count(shape) }, (_, flat) => {
    const index = unravel(flat, shape)
    const first = index[axis]! < a.shape[axis]!
    if (!first) index[axis] = index[axis]! - a.shape[axis]!
    return first ? a.values[ravel(index, a.shape)]! : b.values[ravel(index, b.shape)]!
  })
  return { shape, values }
}
