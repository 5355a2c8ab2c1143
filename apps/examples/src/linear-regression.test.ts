import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { type LinearRegressionResult, linearRegression, regressionData } from './linear-regression.js'

/** (X^T (X w - t))_i for every i: the gradient of E, zero exactly at the least-squares solution. */
const normalResidual = (x: Float64Array, t: Float64Array, w: readonly number[]): number[] => {
  const D = w.length
  const g = new Array<number>(D).fill(0)
  for (let m = 0; m < t.length; m++) {
    let r = -t[m]!
    for (let i = 0; i < D; i++) r += w[i]! * x[m * D + i]!
    for (let i = 0; i < D; i++) g[i] = g[i]! + x[m * D + i]! * r
  }
  return g
}

const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))

describe('linear regression: batch GD and stochastic GD reach the least-squares solution', () => {
  let r: LinearRegressionResult
  beforeAll(async () => {
    const result = await linearRegression()
    if (E.isLeft(result)) throw new Error(result.left.message)
    r = result.right
  })

  it('generates M = 50 samples with the bias input 1 first', () => {
    expect(r.data.size).toBe(50)
    expect(r.data.features).toBe(3)
    for (let m = 0; m < 50; m++) expect(r.data.x[3 * m]).toBe(1)
  })

  it('compares against the solution of the normal equations, which is not the generating weights', () => {
    // X^T (X w* - t) = 0, checked here without the example's solver.
    for (const g of normalResidual(r.data.x, r.data.t, r.leastSquares)) expect(Math.abs(g)).toBeLessThan(1e-10)
    // The noise moves w* away from the weights the data were made with, by far more than the
    // tolerances below: agreeing with w* to 1e-4 means finding w*, not w_true.
    expect(maxDiff(r.leastSquares, r.trueWeights)).toBeGreaterThan(1e-2)
  })

  it('batch GD converges to w* to rounding', () => {
    // Tolerance: batch GD on E contracts the error w - w* by max_i |1 - eta lambda_i| per step, lambda_i
    // the eigenvalues of X^T X (about 16.6, 21.2 and 50.0 for these data), i.e. by 0.834 at eta = 0.01.
    // After 200 steps the bound is 0.834^200 |w0 - w*| < 1e-15; 1e-9 leaves room for rounding.
    expect(r.gd.steps).toBe(200)
    expect(maxDiff(r.gd.w, r.leastSquares)).toBeLessThan(1e-9)
    for (const g of normalResidual(r.data.x, r.data.t, r.gd.w)) expect(Math.abs(g)).toBeLessThan(1e-7)
  })

  it('stochastic GD with batch size 1 and a decaying rate converges to w* as well', () => {
    // Tolerance: with a constant rate, one-sample updates circle w* at a distance that grows with the
    // rate (each sample's gradient (y - t) x is not zero at w*, since E(w*) > 0). The rate 0.2 / epoch
    // shrinks that circle as it goes, while the sum of the rates still diverges, so the start is
    // forgotten (the mean error shrinks like epoch^(-0.2 lambda_min), lambda_min about 16.6 here).
    // After 500 epochs the distances measured on this and four other data sets are 1e-5 to 3e-5;
    // 1e-4 keeps a margin and stays 100 times below |w* - w_true| (checked above).
    expect(r.sgd.steps).toBe(500 * 50)
    expect(maxDiff(r.sgd.w, r.leastSquares)).toBeLessThan(1e-4)
    expect(r.maxDifference).toBe(Math.max(maxDiff(r.gd.w, r.leastSquares), maxDiff(r.sgd.w, r.leastSquares)))
  })

  it('reports loss curves that fall to E(w*) and the trainer\'s losses agree with E computed by hand', () => {
    // E(0) = 1/2 sum t^2: the first batch-GD step's loss, before any update.
    const e0 = r.data.t.reduce((s, t) => s + t * t, 0) / 2
    expect(r.initialError).toBeCloseTo(e0, 10)
    expect(r.gd.stepLosses[0]).toBeCloseTo(e0, 10)
    // Step k+1 of batch GD reports E before its update, i.e. E after epoch k.
    for (let k = 1; k < r.gd.curve.length; k++) expect(r.gd.stepLosses[k]).toBeCloseTo(r.gd.curve[k - 1]!, 9)
    // Batch GD with eta below 2 / lambda_max never increases E (up to rounding at the end).
    for (let k = 1; k < r.gd.curve.length; k++) expect(r.gd.curve[k]!).toBeLessThanOrEqual(r.gd.curve[k - 1]! + 1e-12)
    for (const run of [r.gd, r.sgd]) {
      expect(run.curve[0]!).toBeLessThan(r.initialError)
      expect(run.curve[run.curve.length - 1]! - r.minimumError).toBeLessThan(1e-8)
      expect(run.curve[run.curve.length - 1]! - r.minimumError).toBeGreaterThanOrEqual(-1e-12)
    }
  })

  it('converges on data from another seed and other weights too', async () => {
    // Fewer samples make X^T X smaller (lambda_min is roughly M / 3 for inputs uniform in [-1, 1]),
    // so batch GD contracts more slowly per step: 500 steps keep the bound far below 1e-9.
    const result = await linearRegression({ seed: 11, trueWeights: [-1, 0.5, 1.5], samples: 40, gdEpochs: 500 })
    if (E.isLeft(result)) throw new Error(result.left.message)
    const { gd, sgd, leastSquares, data } = result.right
    for (const g of normalResidual(data.x, data.t, leastSquares)) expect(Math.abs(g)).toBeLessThan(1e-10)
    expect(maxDiff(gd.w, leastSquares)).toBeLessThan(1e-9)
    expect(maxDiff(sgd.w, leastSquares)).toBeLessThan(1e-4)
  })

  it('refuses fewer samples than weights', async () => {
    const result = await linearRegression({ samples: 2 })
    expect(E.isLeft(result) && result.left.message).toBe(
      'linear-regression: need at least as many samples as weights, got 2 samples and 3 weights',
    )
  })

  it('generates the same data from the same seed', () => {
    const a = regressionData(10, [1, 2], 0.5, 4)
    const b = regressionData(10, [1, 2], 0.5, 4)
    expect(a.x).toEqual(b.x)
    expect(a.t).toEqual(b.t)
    expect(regressionData(10, [1, 2], 0.5, 5).t).not.toEqual(a.t)
  })
})
