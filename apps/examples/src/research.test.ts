import { tensor } from '@backprop/backend'
import { deltaRule, initParams } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { deltas342 } from './deltas.js'
import { newtonRosenbrock } from './newton.js'
import { skipConnectionL2 } from './skip-l2.js'

describe("Newton's method on Rosenbrock with the symbolic Hessian", () => {
  it('takes the Newton steps of the hand-derived gradient and Hessian, and reaches (1, 1)', () => {
    const xs = newtonRosenbrock()
    for (let i = 1; i < xs.length; i++) {
      const [x0, x1] = xs[i - 1]!
      const g = [-2 * (1 - x0!) - 400 * x0! * (x1! - x0! * x0!), 200 * (x1! - x0! * x0!)]
      const [a, b, d] = [2 - 400 * (x1! - x0! * x0!) + 800 * x0! * x0!, -400 * x0!, 200]
      const det = a * d - b * b
      const step = [(d * g[0]! - b * g[1]!) / det, (a * g[1]! - b * g[0]!) / det]
      expect(xs[i]![0]).toBeCloseTo(x0! - step[0]!, 9)
      expect(xs[i]![1]).toBeCloseTo(x1! - step[1]!, 9)
    }
    expect(xs.at(-1)![0]).toBeCloseTo(1, 12)
    expect(xs.at(-1)![1]).toBeCloseTo(1, 12)
  })
})

describe('the deltas of a 3-5-4-2 network', () => {
  const M = 4
  const spec = { sizes: [3, 5, 4, 2], activations: ['logsig', 'logsig', 'softmax'] } as const
  const p = initParams(spec, { seed: 3 })
  if (E.isLeft(p)) throw new Error(p.left.message)
  const x = tensor([0.5, -1, 2, 0.1, 0.2, -0.3, -1.5, 1, 0, 0.7, 0.7, -0.7], [M, 3])
  const t = tensor([1, 0, 0, 1, 0, 1, 1, 0], [M, 2])
  const { grad, aux, value } = deltas342(M)({ x, t, ...p.right })

  it('equal y - t at the output', () => {
    grad.d3.data.forEach((d, k) => expect(d).toBeCloseTo(aux.y.data[k]! - t.data[k]!, 14))
  })

  it("equal the lecture's delta rule in every layer", () => {
    const weights = [1, 2, 3].map((l) => ({ W: p.right[`W${l}`]!, b: p.right[`b${l}`]! }))
    const reference = deltaRule({ weights, x, t, activations: spec.activations, loss: 'softmax-cross-entropy', reduction: 'sum' })
    if (E.isLeft(reference)) throw new Error(reference.left.message)
    expect(value).toBeCloseTo(reference.right.loss, 12)
    const ours = [grad.d1, grad.d2, grad.d3]
    reference.right.deltas.forEach((delta, l) => {
      expect(ours[l]!.shape).toEqual(delta.shape)
      delta.data.forEach((d, k) => expect(ours[l]!.data[k]).toBeCloseTo(d, 13))
    })
  })
})

describe('a tanh network with a skip connection and an L2 penalty, trained by train()', () => {
  it('reports the MSE and penalty parts of its loss per epoch, and fits the curve', async () => {
    const { epochs, done } = await skipConnectionL2()
    for (const e of epochs) expect(e.metrics!.mse + e.metrics!.l2).toBeCloseTo(e.trainLoss, 12)
    expect(epochs.at(-1)!.metrics!.mse).toBeLessThan(epochs[0]!.metrics!.mse / 10)
    expect(done.finalTrainLoss).toBeCloseTo(done.finalMetrics!.mse + done.finalMetrics!.l2, 12)
    expect(done.finalMetrics!.mse).toBeLessThan(0.02)
    expect(done.finalMetrics!.l2).toBeGreaterThan(0)
  })
})
