import { describe, expect, it } from 'vitest'
import { checkStep, type ParamValues } from './agreement.js'
import { backpropFeedJob, backpropJob, initialParams, referenceStep } from './mnist.js'

/** Losses of `steps` SGD steps computed by the reference interpreter, feeding parameters each step. */
const referenceLosses = (batch: number, steps: number): number[] => {
  const step = referenceStep(batch)
  let params: ParamValues = initialParams('f64')
  const losses: number[] = []
  for (let s = 0; s < steps; s++) {
    const out = step(params, s)
    losses.push(out.loss)
    params = out.params
  }
  return losses
}

describe('the training step the bench times', () => {
  const batch = 8
  // Four batches take turns, so step 4 sees step 0's batch again.
  const steps = 5
  const expected = referenceLosses(batch, steps)

  it('learns: the loss on a batch seen before has gone down', () => {
    expect(expected[4]).toBeLessThan(expected[0]!)
  })

  it.each([
    ['in-place updates, WebAssembly', () => backpropJob(batch, 'f64', true)],
    ['in-place updates, JavaScript', () => backpropJob(batch, 'f64', false)],
    ['feeding parameters', () => backpropFeedJob(batch, 'f64')],
  ])('gives the reference interpreter\'s losses step after step (%s)', (_name, make) => {
    const job = make()
    const losses = Array.from({ length: steps }, () => job.run() as number)
    losses.forEach((l, s) => expect(Math.abs(l - expected[s]!), `step ${s}`).toBeLessThan(1e-12 * Math.abs(expected[s]!)))
  })

  it.each([
    ['in-place updates', () => backpropJob(batch, 'f32', true)],
    ['feeding parameters', () => backpropFeedJob(batch, 'f32')],
  ])('passes the bench\'s check of one more step after some steps, in float32 (%s)', async (_name, make) => {
    const job = make()
    for (let s = 0; s < 3; s++) job.run()
    expect(await checkStep(job, (p, later) => referenceStep(batch)(p, 3 + later))).toBeUndefined()
  })

  it('fails that check when the step is not the reference\'s (another batch)', async () => {
    const job = backpropJob(batch, 'f32', true)
    for (let s = 0; s < 3; s++) job.run()
    expect(await checkStep(job, (p, later) => referenceStep(batch)(p, 2 + later))).toMatch(/loss/)
  })
})
