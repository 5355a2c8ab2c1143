import type { Instr } from '../lower/ir.js'
import { type Arena, arrayOf, baseOf } from './arena.js'

type Of<K extends Instr['kind']> = Extract<Instr, { kind: K }>

/**
 * `out = a b` by rows: each row of the result is accumulated in float64
 * over the inner dimension in order and stored once (so an f32 result is
 * rounded once per element), reading both operands through their strides.
 *
 * @internal
 */
export const jsMatmul = (instr: Of<'matmul'>, arena: Arena): (() => void) => {
  const { m, n, k, a, b, dtype } = instr
  const A = arrayOf(arena, dtype)
  const C = A
  const aBase = baseOf(arena, a.storage, dtype) + a.offset
  const bBase = baseOf(arena, b.storage, dtype) + b.offset
  const cBase = baseOf(arena, instr.out, dtype)
  const row = new Float64Array(n)
  const { rowStride: aRow, colStride: aK } = a
  const { rowStride: bK, colStride: bCol } = b
  if (bCol !== 1 && aK === 1 && bK === 1) {
    // A B^T with both rows contiguous along k: dot products, summed in the same order.
    return () => {
      for (let i = 0; i < m; i++) {
        const ai = aBase + i * aRow
        const o = cBase + i * n
        for (let j = 0; j < n; j++) {
          const bj = bBase + j * bCol
          let s = 0
          for (let p = 0; p < k; p++) s += A[ai + p]! * A[bj + p]!
          C[o + j] = s
        }
      }
    }
  }
  return () => {
    for (let i = 0; i < m; i++) {
      row.fill(0)
      for (let p = 0; p < k; p++) {
        const aip = A[aBase + i * aRow + p * aK]!
        let q = bBase + p * bK
        for (let j = 0; j < n; j++, q += bCol) row[j]! += aip * A[q]!
      }
      const o = cBase + i * n
      for (let j = 0; j < n; j++) C[o + j] = row[j]!
    }
  }
}

/**
 * Merges the axes of a contiguous shape into runs that are all reduced or
 * all kept (axes of extent 1 are dropped: they change no address), giving
 * `[extent, reduced]` pairs.
 */
const runs = (shape: readonly number[], axes: readonly number[]): [number, boolean][] => {
  const out: [number, boolean][] = []
  shape.forEach((d, axis) => {
    if (d === 1) return
    const reduced = axes.includes(axis)
    const last = out[out.length - 1]
    if (last && last[1] === reduced) last[0] *= d
    else out.push([d, reduced])
  })
  return out
}

/**
 * A reduction of a contiguous, non-empty input as `[outer, reduce, inner]`,
 * when its reduced axes form one run (after dropping axes of extent 1),
 * else `undefined`.
 *
 * @internal
 */
export const reduction3D = (
  shape: readonly number[],
  axes: readonly number[],
): { readonly outer: number; readonly reduce: number; readonly inner: number } | undefined => {
  const r = runs(shape, axes)
  if (r.filter(([, red]) => red).length > 1) return undefined
  const size = shape.reduce((p, d) => p * d, 1)
  const at = r.findIndex(([, red]) => red)
  const outer = at <= 0 ? (at < 0 ? size : 1) : r[0]![0]
  const reduce = at < 0 ? 1 : r[at]![0]
  return { outer, reduce, inner: size / (outer * reduce) }
}

/**
 * `sum` or `reduceMax` over the axes of a contiguous input, accumulated in
 * float64 in input order and stored once. The usual shapes (everything,
 * leading axes, trailing axes, one middle run) are `outer x reduced x
 * inner` loops; any other pattern follows a map from input to output
 * positions computed here, once.
 *
 * @internal
 */
export const jsReduce = (instr: Of<'reduce'>, arena: Arena): (() => void) => {
  const { dtype, shape, axes } = instr
  const X = arrayOf(arena, dtype)
  const xBase = baseOf(arena, instr.input, dtype) + instr.inputOffset
  const oBase = baseOf(arena, instr.out, dtype)
  const size = shape.reduce((p, d) => p * d, 1)
  const outSize = shape.reduce((p, d, axis) => (axes.includes(axis) ? p : p * d), 1)
  const max = instr.op === 'max'
  const initial = max ? Number.NEGATIVE_INFINITY : 0
  const acc = new Float64Array(outSize)
  if (size === 0) return () => X.fill(initial, oBase, oBase + outSize)
  const split = reduction3D(shape, axes)
  if (split !== undefined) {
    const { outer, reduce, inner } = split
    return () => {
      for (let o = 0; o < outer; o++) {
        acc.fill(initial, 0, inner)
        let p = xBase + o * reduce * inner
        for (let q = 0; q < reduce; q++) {
          if (max) {
            for (let j = 0; j < inner; j++, p++) {
              const x = X[p]!
              if (x > acc[j]! || x !== x) acc[j] = x
            }
          } else {
            for (let j = 0; j < inner; j++, p++) acc[j]! += X[p]!
          }
        }
        const out = oBase + o * inner
        for (let j = 0; j < inner; j++) X[out + j] = acc[j]!
      }
    }
  }
  // General pattern: where each input element goes, from its multi-index.
  const target = new Int32Array(size)
  const outStrides: number[] = []
  let s = 1
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    outStrides[axis] = axes.includes(axis) ? 0 : s
    if (!axes.includes(axis)) s *= shape[axis]!
  }
  for (let flat = 0; flat < size; flat++) {
    let rest = flat
    let o = 0
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      o += (rest % shape[axis]!) * outStrides[axis]!
      rest = Math.floor(rest / shape[axis]!)
    }
    target[flat] = o
  }
  return () => {
    acc.fill(initial)
    for (let i = 0; i < size; i++) {
      const x = X[xBase + i]!
      const o = target[i]!
      if (max) {
        if (x > acc[o]! || x !== x) acc[o] = x
      } else acc[o]! += x
    }
    for (let o = 0; o < outSize; o++) X[oBase + o] = acc[o]!
  }
}

/**
 * `softmax`, `logSoftmax` or `logSumExp` along an axis of a contiguous
 * input: each fiber's maximum is subtracted before exponentiating, so
 * inputs like 1000 cannot overflow (an infinite maximum shifts by 0
 * instead, which gives the right limits).
 *
 * @internal
 */
export const jsAxis = (instr: Of<'axis'>, arena: Arena): (() => void) => {
  const { dtype, shape, axis, op } = instr
  const X = arrayOf(arena, dtype)
  const xBase = baseOf(arena, instr.input, dtype) + instr.inputOffset
  const oBase = baseOf(arena, instr.out, dtype)
  const n = shape[axis]!
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1)
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1)
  const row = new Float64Array(op === 'softmax' ? n : 0)
  return () => {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = xBase + o * n * inner + i
        let top = Number.NEGATIVE_INFINITY
        for (let j = 0, p = base; j < n; j++, p += inner) if (X[p]! > top) top = X[p]!
        const m = Number.isFinite(top) ? top : 0
        let s = 0
        if (op === 'softmax') {
          // Each exponential once, kept in a float64 row until the sum is known: the
          // same quotients as computing them again, rounded once into the output.
          const out = oBase - xBase + base
          for (let j = 0, p = base; j < n; j++, p += inner) {
            const e = Math.exp(X[p]! - m)
            row[j] = e
            s += e
          }
          for (let j = 0; j < n; j++) X[out + j * inner] = row[j]! / s
          continue
        }
        for (let j = 0, p = base; j < n; j++, p += inner) s += Math.exp(X[p]! - m)
        if (op === 'logSumExp') {
          X[oBase + o * inner + i] = m + Math.log(s)
        } else {
          const logS = Math.log(s)
          const out = oBase - xBase + base
          for (let j = 0, p = base; j < n; j++, p += inner) X[out + j * inner] = X[p]! - m - logS
        }
      }
    }
  }
}

/**
 * Copies `shape` elements from `src` read with `from` strides to `dst`
 * written with `to` strides, an odometer over the axes: the strided form of
 * a gather (a part of a concatenation).
 */
const stridedCopy = (
  X: Float32Array | Float64Array,
  src: number,
  from: readonly number[],
  dst: number,
  to: readonly number[],
  shape: readonly number[],
): (() => void) => {
  const rank = shape.length
  const size = shape.reduce((p, d) => p * d, 1)
  const index = new Int32Array(rank)
  return () => {
    index.fill(0)
    let p = src
    let q = dst
    for (let n = 0; n < size; n++) {
      X[q] = X[p]!
      for (let axis = rank - 1; axis >= 0; axis--) {
        if (++index[axis]! < shape[axis]!) {
          p += from[axis]!
          q += to[axis]!
          break
        }
        index[axis] = 0
        p -= from[axis]! * (shape[axis]! - 1)
        q -= to[axis]! * (shape[axis]! - 1)
      }
    }
  }
}

/**
 * Copies a strided view into a contiguous storage, row by row along the
 * last axis; the outer axes advance like an odometer.
 *
 * @internal
 */
export const jsGather = (instr: Of<'gather'>, arena: Arena): (() => void) => {
  const { dtype, from } = instr
  const X = arrayOf(arena, dtype)
  const src = baseOf(arena, from.storage, dtype) + from.offset
  const dst = baseOf(arena, instr.out, dtype)
  const shape = from.shape
  const strides = from.strides
  const rank = shape.length
  const size = shape.reduce((p, d) => p * d, 1)
  if (size === 0) return () => undefined
  if (instr.into !== undefined) return stridedCopy(X, src, strides, dst + instr.into.offset, instr.into.strides, shape)
  const inner = rank === 0 ? 1 : shape[rank - 1]!
  const step = rank === 0 ? 0 : strides[rank - 1]!
  const index = new Int32Array(Math.max(rank - 1, 0))
  return () => {
    index.fill(0)
    let p = src
    for (let o = 0; o < size; o += inner) {
      for (let j = 0, q = p; j < inner; j++, q += step) X[dst + o + j] = X[q]!
      for (let axis = rank - 2; axis >= 0; axis--) {
        if (++index[axis]! < shape[axis]!) {
          p += strides[axis]!
          break
        }
        index[axis] = 0
        p -= strides[axis]! * (shape[axis]! - 1)
      }
    }
  }
}
