import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { View } from './ir.js'
import { broadcastView, contiguous, isContiguous, reshapeView, transposeView } from './views.js'

/** The storage position of row-major element `flat` of a view. */
const position = (view: View, flat: number): number => {
  let p = view.offset
  for (let axis = view.shape.length - 1; axis >= 0; axis--) {
    p += (flat % view.shape[axis]!) * view.strides[axis]!
    flat = Math.floor(flat / view.shape[axis]!)
  }
  return p
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1)

/** A shape, a permutation of it, and a regrouping of the permuted extents into another shape. */
const reshapeCase = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }),
      // Target: the total size split into factors, in some order.
      cuts: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }),
    }),
  )

const factorise = (n: number, cuts: readonly number[]): number[] => {
  const out: number[] = []
  let rest = n
  for (const c of cuts) {
    if (c > 1 && rest % c === 0) {
      out.push(c)
      rest /= c
    } else out.push(1)
  }
  out.push(rest)
  return out
}

describe('views', () => {
  it('reshape a contiguous view to any shape of the same size', () => {
    const v = contiguous(0, [2, 3, 4], 5)
    const r = reshapeView(v, [4, 6])!
    expect(r.strides).toEqual([6, 1])
    expect(r.offset).toBe(5)
    expect(isContiguous(r)).toBe(true)
  })

  it('reshape a strided view without copying when its axes allow, reading the same elements', () => {
    fc.assert(
      fc.property(reshapeCase, ({ shape, perm, cuts }) => {
        const view = transposeView(contiguous(0, shape, 3), perm)
        const target = factorise(size(shape), cuts)
        const reshaped = reshapeView(view, target)
        if (isContiguous(view)) expect(reshaped).toBeDefined()
        if (reshaped === undefined) return
        for (let i = 0; i < size(shape); i++) expect(position(reshaped, i), `element ${i}`).toBe(position(view, i))
      }),
      { numRuns: 300, seed: 7 },
    )
  })

  it('refuse reshapes that would need a copy, such as flattening a transpose or a broadcast', () => {
    expect(reshapeView(transposeView(contiguous(0, [2, 3]), [1, 0]), [6])).toBeUndefined()
    expect(reshapeView(broadcastView(contiguous(0, [3]), [2, 3]), [6])).toBeUndefined()
    // ... but a broadcast scalar reshapes to anything.
    expect(reshapeView(broadcastView(contiguous(0, [1]), [2, 3]), [3, 2])!.strides).toEqual([0, 0])
  })

  it('broadcast by NumPy rules: missing and stretched axes read with stride 0', () => {
    const v = broadcastView(contiguous(0, [3, 1]), [2, 3, 4])
    expect(v.strides).toEqual([0, 1, 0])
    expect(isContiguous(v)).toBe(false)
    expect(isContiguous(broadcastView(contiguous(0, [1, 4]), [1, 4]))).toBe(true)
  })
})
