import * as E from 'fp-ts/lib/Either.js'
import { type Tensor, tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { describe, expect, it } from 'vitest'
import { backpropFeedJob, backpropJob, batches, initialParams, lr, trainingGraph } from './mnist.js'

/** Losses of `steps` SGD steps computed by the reference interpreter, feeding parameters each step. */
const referenceLosses = (batch: number, steps: number): number[] => {
  const { graph, loss, names, updates } = trainingGraph(batch, 'f64')
  const data = batches(batch, 'f64')
  const shapes: Record<string, number[]> = { W1: [128, 784], b1: [128], W2: [10, 128], b2: [10] }
  let params: Record<string, Tensor> = Object.fromEntries(
    Object.entries(initialParams('f64')).map(([k, v]) => [k, tensor(v, shapes[k]!, 'f64')]),
  )
  const losses: number[] = []
  for (let s = 0; s < steps; s++) {
    const { x, t } = data[s % data.length]!
    const feeds = { ...params, x: tensor(x, [batch, 784], 'f64'), t: tensor(t, [batch, 10], 'f64'), lr: tensor([lr], [], 'f64') }
    const out = evaluate(graph, [loss, ...updates.map((u) => u.value)], feeds)
    if (E.isLeft(out)) throw new Error(out.left.message)
    losses.push(out.right[0]!.data[0]!)
    params = Object.fromEntries(names.map((name, i) => [name, out.right[i + 1]!]))
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
})
