import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkGradient, type LogsigNeuronResult, logsigNeuron, separableData } from './logsig-neuron.js'

const logsig = (a: number) => 1 / (1 + Math.exp(-a))
const dot = (w: readonly number[], x: ArrayLike<number>, at = 0) => w.reduce((s, v, i) => s + v * x[at + i]!, 0)

describe('logsig neuron on separable data', () => {
  let r: LogsigNeuronResult
  beforeAll(async () => {
    const result = await logsigNeuron()
    if (E.isLeft(result)) throw new Error(result.left.message)
    r = result.right
  })

  it('trains on data that are separable with a margin', () => {
    const { x, t, size } = r.data
    expect(size).toBe(40)
    const ones = Array.from(t).filter((v) => v === 1).length
    expect(ones).toBeGreaterThan(5) // both classes present
    expect(ones).toBeLessThan(35)
    for (let m = 0; m < size; m++) {
      expect(x[3 * m]).toBe(1)
      const side = (x[3 * m + 1]! + x[3 * m + 2]! - 0.25) / Math.SQRT2
      expect(Math.abs(side)).toBeGreaterThanOrEqual(0.1)
      expect(t[m]).toBe(side > 0 ? 1 : 0)
    }
  })

  it('separates every sample with the final weights', () => {
    expect(r.correct).toBe(40)
    // Recomputed here from the weights: y = sigma(w^T x) > 0.5 exactly for the samples with t = 1.
    for (let m = 0; m < 40; m++) {
      const y = logsig(dot(r.w, r.data.x, 3 * m))
      expect(r.outputs[m]).toBeCloseTo(y, 14)
      expect(y > 0.5).toBe(r.data.t[m] === 1)
    }
  })

  it('has a loss curve from E(0) = M/8 that falls by more than an order of magnitude', () => {
    expect(r.curve).toHaveLength(500)
    expect(r.curve[0]).toBeCloseTo(40 / 8, 12) // y = 1/2 everywhere at w = 0: E = 40 * 1/2 * (1/2)^2
    expect(r.curve[r.curve.length - 1]!).toBeLessThan(r.curve[0]! / 10)
    // The curve holds E before each step; the last step lowers it once more, so E at the final
    // weights (computed here) is at most the last value of the curve.
    const finalE = Array.from(r.data.t).reduce((s, t, m) => s + (logsig(dot(r.w, r.data.x, 3 * m)) - t) ** 2 / 2, 0)
    expect(finalE).toBeLessThanOrEqual(r.curve[r.curve.length - 1]!)
  })

  it("the symbolic gradient at the check point is the lecture's (y - t) y (1 - y) x", () => {
    const { w, x, t, symbolic } = r.gradientCheck
    const y = logsig(dot(w, x))
    x.forEach((xi, i) => expect(symbolic[i]).toBeCloseTo((y - t) * y * (1 - y) * xi, 15))
    expect(r.gradientCheck.maxDifference).toBeLessThan(1e-15)
  })

  it('the symbolic gradient agrees with central differences of E', () => {
    const { w, x, t, symbolic } = r.gradientCheck
    const err = (v: readonly number[]) => (logsig(dot(v, x)) - t) ** 2 / 2
    const h = 1e-6
    w.forEach((_, i) => {
      const up = w.map((v, j) => (j === i ? v + h : v))
      const down = w.map((v, j) => (j === i ? v - h : v))
      expect(symbolic[i]).toBeCloseTo((err(up) - err(down)) / (2 * h), 8)
    })
  })
})

describe('checkGradient', () => {
  it("matches the lecture's formula at random points", () => {
    const num = fc.double({ min: -3, max: 3, noNaN: true })
    fc.assert(
      fc.property(fc.tuple(num, num, num), fc.tuple(num, num), fc.constantFrom(0, 1), (w, [x1, x2], t) => {
        const check = checkGradient(w, [1, x1, x2], t)
        if (E.isLeft(check)) throw new Error(check.left.message)
        const y = logsig(w[0] + w[1] * x1 + w[2] * x2)
        const expected = [1, x1, x2].map((xi) => (y - t) * y * (1 - y) * xi)
        check.right.symbolic.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 12))
        expect(check.right.y).toBeCloseTo(y, 14)
      }),
      { numRuns: 50 },
    )
  })
})

describe('separableData', () => {
  it('is reproducible from its seed', () => {
    expect(separableData(10, 4).x).toEqual(separableData(10, 4).x)
    expect(separableData(10, 4).x).not.toEqual(separableData(10, 5).x)
  })
})
