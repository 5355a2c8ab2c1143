// Evaluation of ops on constant tensors, for constant folding. Every loop here
// is bounded by the folding size limits in fold.ts, so plain arrays are fine.
import type { Node } from '../graph.js'
import { type Shape, sizeOf, stridesOf } from '../shape.js'

const splatCache = new WeakMap<readonly number[], number | null>()

/**
 * The value every element of a constant node has, or `undefined` when the
 * node is not a constant, its elements differ, or it has none. `-0` and `0`
 * count as equal. @internal
 */
export const splatOf = (n: Node): number | undefined => {
  if (n.op !== 'const') return undefined
  if (n.attrs.value !== undefined) return n.attrs.value
  const values = n.attrs.values!
  let cached = splatCache.get(values)
  if (cached === undefined) {
    const first = values[0]
    cached = first !== undefined && values.every((v) => v === first) ? first : null
    splatCache.set(values, cached)
  }
  return cached ?? undefined
}

/** Row-major values of a constant node. @internal */
export const valuesOf = (n: Node): readonly number[] =>
  n.attrs.values ?? new Array<number>(sizeOf(n.shape)).fill(n.attrs.value!)

/**
 * Strides that read an operand of shape `from` while walking a tensor of
 * shape `to` it broadcasts to: 0 along stretched or missing axes. @internal
 */
export const broadcastStrides = (from: Shape, to: Shape): number[] => {
  const own = stridesOf(from)
  const lead = to.length - from.length
  return to.map((_, i) => (i < lead || from[i - lead] === 1 ? 0 : own[i - lead]!))
}

/**
 * Visits every element of `shape` in row-major order, passing its position
 * `k` and, for each stride set, the offset those strides give. @internal
 */
export const walk = (
  shape: Shape,
  strides: readonly (readonly number[])[],
  visit: (k: number, offsets: readonly number[]) => void,
): void => {
  const size = sizeOf(shape)
  const rank = shape.length
  const index = new Array<number>(rank).fill(0)
  const offsets = strides.map(() => 0)
  for (let k = 0; k < size; k++) {
    visit(k, offsets)
    // Odometer increment, carrying the offsets along.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++
      for (let j = 0; j < strides.length; j++) offsets[j]! += strides[j]![axis]!
      if (index[axis]! < shape[axis]!) break
      for (let j = 0; j < strides.length; j++) offsets[j]! -= strides[j]![axis]! * shape[axis]!
      index[axis] = 0
    }
  }
}

/** `fn` applied elementwise to broadcast constant operands. @internal */
export const elementwise = (
  fn: (...args: number[]) => number,
  operands: readonly Node[],
  shape: Shape,
): number[] => {
  const values = operands.map(valuesOf)
  const out = new Array<number>(sizeOf(shape))
  const args = new Array<number>(operands.length)
  walk(
    shape,
    operands.map((o) => broadcastStrides(o.shape, shape)),
    (k, offsets) => {
      for (let j = 0; j < args.length; j++) args[j] = values[j]![offsets[j]!]!
      out[k] = fn(...args)
    },
  )
  return out
}

/** The values of `x` with axes permuted: output axis j is input axis perm[j]. @internal */
export const transposeValues = (x: Node, perm: readonly number[]): number[] => {
  const values = valuesOf(x)
  const own = stridesOf(x.shape)
  const out = new Array<number>(values.length)
  walk(
    perm.map((p) => x.shape[p]!),
    [perm.map((p) => own[p]!)],
    (k, [offset]) => {
      out[k] = values[offset!]!
    },
  )
  return out
}

/**
 * Reduces `x` over `axes` into a tensor of `outShape` (with or without kept
 * axes), starting each output element from `init`. @internal
 */
export const reduceValues = (
  x: Node,
  axes: readonly number[],
  outShape: Shape,
  init: number,
  combine: (acc: number, v: number) => number,
): number[] => {
  const values = valuesOf(x)
  const out = new Array<number>(sizeOf(outShape)).fill(init)
  // Output strides for each input axis: 0 for reduced axes.
  const outStrides = stridesOf(outShape)
  const keepdims = outShape.length === x.shape.length
  let kept = 0
  const strides = x.shape.map((_, i) => {
    if (axes.includes(i)) {
      if (keepdims) kept++
      return 0
    }
    return outStrides[kept++]!
  })
  walk(x.shape, [strides], (k, [offset]) => {
    out[offset!] = combine(out[offset!]!, values[k]!)
  })
  return out
}

/** The matrix product of constant `[m,k]` and `[k,n]` tensors. @internal */
export const matmulValues = (a: Node, b: Node): number[] => {
  const [m, k] = a.shape as [number, number]
  const n = b.shape[1]!
  const av = valuesOf(a)
  const bv = valuesOf(b)
  const out = new Array<number>(m * n).fill(0)
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = av[i * k + p]!
      for (let j = 0; j < n; j++) out[i * n + j]! += aip * bv[p * n + j]!
    }
  }
  return out
}
