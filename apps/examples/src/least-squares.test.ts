import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { leastSquares, linearError, solveLinear } from './least-squares.js'

/** Multiples of 1/100 in [-n/100, n/100]. */
const hundredths = (n: number) => fc.integer({ min: -n, max: n }).map((k) => k / 100)

/** A x for a square matrix A. */
const times = (A: number[][], x: number[]) => A.map((row) => row.reduce((s, a, j) => s + a * x[j]!, 0))

describe('solveLinear', () => {
  it('solves a small system given with its answer', () => {
    expect(solveLinear([[2, 1], [1, 3]], [3, 5])).toEqual([expect.closeTo(0.8, 14), expect.closeTo(1.4, 14)])
  })

  it('pivots past a zero on the diagonal', () => {
    // Without row exchanges the first pivot would be 0.
    const A = [[0, 2, 1], [1, 1, 0], [3, 0, 1]]
    const x = [1, -2, 3]
    const w = solveLinear(A, times(A, x))!
    w.forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 12))
  })

  it('reports a singular matrix, a non-square system, and leaves its arguments alone', () => {
    const A = [[1, 2], [2, 4]]
    const b = [1, 2]
    expect(solveLinear(A, b)).toBeUndefined()
    expect(A).toEqual([[1, 2], [2, 4]])
    expect(b).toEqual([1, 2])
    expect(solveLinear([[1, 2]], [1])).toBeUndefined()
  })

  it('recovers x from A x for diagonally dominant random systems', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.tuple(
            fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
            fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n }),
          ),
        ),
        ([M, x]) => {
          // Adding n to the diagonal keeps the matrix well conditioned.
          const A = M.map((row, i) => row.map((v, j) => (i === j ? v + row.length + 1 : v)))
          const w = solveLinear(A, times(A, x))!
          w.forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 9))
        },
      ),
    )
  })
})

describe('leastSquares', () => {
  it('recovers the weights of noise-free data exactly', () => {
    // t = 1 + 2 x1 - x2 at five points, with the bias input 1 first.
    const rows = [[0, 0], [1, 0], [0, 1], [2, 3], [-1, 4]]
    const x = Float64Array.from(rows.flatMap(([a, b]) => [1, a!, b!]))
    const t = Float64Array.from(rows.map(([a, b]) => 1 + 2 * a! - b!))
    const w = leastSquares(x, t, 5, 3)!
    expect(w[0]).toBeCloseTo(1, 12)
    expect(w[1]).toBeCloseTo(2, 12)
    expect(w[2]).toBeCloseTo(-1, 12)
  })

  it('fits a line through three points that are not collinear by hand-computed regression', () => {
    // Points (0, 0), (1, 1), (2, 1): slope 1/2, intercept 1/6 (ordinary least squares by hand).
    const w = leastSquares(Float64Array.of(1, 0, 1, 1, 1, 2), Float64Array.of(0, 1, 1), 3, 2)!
    expect(w[0]).toBeCloseTo(1 / 6, 14)
    expect(w[1]).toBeCloseTo(1 / 2, 14)
  })

  it('leaves a residual orthogonal to every input column, so no weight change lowers E', () => {
    fc.assert(
      fc.property(
        // Inputs on a grid of hundredths: no denormal columns whose effect on E
        // is below the rounding of E itself.
        fc.array(fc.tuple(hundredths(100), hundredths(100), hundredths(500)), { minLength: 6, maxLength: 30 }),
        (samples) => {
          const M = samples.length
          const x = Float64Array.from(samples.flatMap(([a, b]) => [1, a, b]))
          const t = Float64Array.from(samples.map(([, , c]) => c))
          const w = leastSquares(x, t, M, 3)
          fc.pre(w !== undefined)
          for (let i = 0; i < 3; i++) {
            let g = 0 // (X^T (X w - t))_i, the gradient of E
            for (let m = 0; m < M; m++) g += x[3 * m + i]! * (w![0]! * x[3 * m]! + w![1]! * x[3 * m + 1]! + w![2]! * x[3 * m + 2]! - t[m]!)
            expect(Math.abs(g)).toBeLessThan(1e-8)
          }
          const E = linearError(x, t, w!)
          for (const step of [[1e-3, 0, 0], [0, -1e-3, 0], [0, 0, 1e-3]]) {
            expect(linearError(x, t, w!.map((v, i) => v + step[i]!))).toBeGreaterThanOrEqual(E * (1 - 1e-12))
          }
        },
      ),
    )
  })
})

describe('linearError', () => {
  it('is 1/2 the sum of squared residuals', () => {
    // residuals of w = [1, 1] on (x = [1, 2], t = 4) and (x = [1, -1], t = 0): -1 and 0
    expect(linearError(Float64Array.of(1, 2, 1, -1), Float64Array.of(4, 0), [1, 1])).toBe(0.5)
  })
})
