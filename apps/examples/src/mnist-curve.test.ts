import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { type MnistCurveResult, type MnistProgress, mnistCurve } from './mnist-curve.js'

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

describe('mnistCurve (small)', () => {
  const progress: { step: number; epoch: number; totalSteps: number; length: number; last: number }[] = []
  let r: MnistCurveResult
  beforeAll(async () => {
    const result = await mnistCurve(
      { trainSize: 400, testSize: 200, epochs: 3, hidden: 32, batchSize: 16 },
      (p: MnistProgress) => progress.push({ step: p.step, epoch: p.epoch, totalSteps: p.totalSteps, length: p.curve.length, last: p.curve[p.curve.length - 1]! }),
    )
    if (E.isLeft(result)) throw new Error(result.left.message)
    r = result.right
  })

  it('streams the curve: one callback per step, the curve one longer each time', () => {
    const steps = 3 * (400 / 16)
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1))
    expect(progress.every((p) => p.length === p.step && p.totalSteps === steps)).toBe(true)
    expect(progress.map((p) => p.epoch)).toEqual(Array.from({ length: steps }, (_, i) => Math.floor(i / 25) + 1))
    // What was streamed is the curve the run returns.
    expect(progress.map((p) => p.last)).toEqual(r.curve)
  })

  it('starts near the loss of guessing, log 10, and the loss goes down', () => {
    expect(r.curve[0]).toBeGreaterThan(0.5 * Math.log(10))
    expect(r.curve[0]).toBeLessThan(2 * Math.log(10))
    expect(mean(r.curve.slice(-10))).toBeLessThan(0.7 * mean(r.curve.slice(0, 10)))
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3])
    expect(r.epochs[2]!.trainLoss).toBeLessThan(r.epochs[0]!.trainLoss)
  })

  it('classifies held-out digits far better than chance (10%)', () => {
    expect(r.testSize).toBe(200)
    expect(r.testAccuracy).toBeGreaterThan(0.4)
    expect(r.testAccuracy).toBe(r.epochs[2]!.testAccuracy)
    expect(r.layers).toEqual([784, 32, 10])
  })
})

describe('mnistCurve: bad options', () => {
  it('reports sizes the digits cannot fill and layers that cannot exist', async () => {
    const tooMany = await mnistCurve({ trainSize: 1_000_000 })
    expect(E.isLeft(tooMany) && tooMany.left.message).toMatch(/^mnist-curve: mnist: trainSize 1000000 exceeds/)
    const noHidden = await mnistCurve({ trainSize: 10, testSize: 10, hidden: 0 })
    expect(E.isLeft(noHidden) && noHidden.left.message).toBe('mnist-curve: hidden must be a positive integer, got 0')
    const badBatch = await mnistCurve({ trainSize: 10, testSize: 10, batchSize: 0 })
    expect(E.isLeft(badBatch) && badBatch.left.message).toMatch(/^mnist-curve: training failed: .*batch size/)
  })
})
