import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { deltaRule, type DeltaRuleInput, type DeltaRuleResult } from './delta-rule.js'
import { expectClose } from './testing/close.js'
import { matrixOf as m, networkCases, vectorOf as v } from './testing/reference.js'

const run = (input: DeltaRuleInput): DeltaRuleResult => {
  const result = deltaRule(input)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

describe('deltaRule', () => {
  it('computes a linear neuron with sse by hand', () => {
    // a = 0.5*1 - 1*2 + 0.25 = -1.25, E = 1/2 (a - 0.75)^2 = 2, delta = -2, dE/dW = delta x^T
    const r = run({
      weights: [{ W: m([[0.5, -1]]), b: v([0.25]) }],
      x: m([[1, 2]]),
      t: m([[0.75]]),
      activations: ['linear'],
      loss: 'sse',
    })
    expect(r.loss).toBe(2)
    expect(Array.from(r.outputs.data)).toEqual([-1.25])
    expect(Array.from(r.gradients[0]!.W.data)).toEqual([-2, -4])
    expect(Array.from(r.gradients[0]!.b.data)).toEqual([-2])
  })

  it('backpropagates through a hidden layer by hand', () => {
    // x = [1], hidden relu with W1 = [[2], [-1]] (a1 = [2, -1], z1 = [2, 0]), linear output W2 = [[3, 5]]:
    // y = 6, t = 4, delta2 = 2, delta1 = relu'(a1) * W2^T delta2 = [6, 0]
    const r = run({
      weights: [
        { W: m([[2], [-1]]), b: v([0, 0]) },
        { W: m([[3, 5]]), b: v([0]) },
      ],
      x: m([[1]]),
      t: m([[4]]),
      activations: ['relu', 'linear'],
      loss: 'sse',
    })
    expect(r.loss).toBe(2)
    expect(Array.from(r.deltas[1]!.data)).toEqual([2])
    expect(Array.from(r.deltas[0]!.data)).toEqual([6, 0])
    expect(Array.from(r.gradients[1]!.W.data)).toEqual([4, 0])
    expect(Array.from(r.gradients[0]!.W.data)).toEqual([6, 0])
    expect(Array.from(r.gradients[0]!.b.data)).toEqual([6, 0])
  })

  it('gives delta_L = y - t for logsig + cross-entropy and softmax + softmax-cross-entropy', () => {
    const x = m([[0.3, -0.2], [1.5, 0.4]])
    const W = m([[0.7, -1.1], [0.2, 0.9]])
    const sigmoid = (a: number) => 1 / (1 + Math.exp(-a))
    const a = [0.3 * 0.7 + 0.2 * 1.1, 0.3 * 0.2 - 0.2 * 0.9, 1.5 * 0.7 - 0.4 * 1.1, 1.5 * 0.2 + 0.4 * 0.9]
    const t = [1, 0, 0, 1]
    const logsig = run({ weights: [{ W, b: v([0, 0]) }], x, t: m([[1, 0], [0, 1]]), activations: ['logsig'], loss: 'cross-entropy' })
    expectClose(logsig.deltas[0]!.data, a.map((ai, i) => sigmoid(ai) - t[i]!), 'delta')
    const ce = a.reduce((s, ai, i) => s - (t[i]! * Math.log(sigmoid(ai)) + (1 - t[i]!) * Math.log(1 - sigmoid(ai))), 0)
    expectClose([logsig.loss], [ce], 'loss')
    const soft = run({ weights: [{ W, b: v([0, 0]) }], x, t: m([[1, 0], [0, 1]]), activations: ['softmax'], loss: 'softmax-cross-entropy' })
    const y = [0, 2].flatMap((row) => {
      const e = [Math.exp(a[row]!), Math.exp(a[row + 1]!)]
      return e.map((ei) => ei / (e[0]! + e[1]!))
    })
    expectClose(soft.outputs.data, y, 'y')
    expectClose(soft.deltas[0]!.data, y.map((yi, i) => yi - t[i]!), 'delta')
    expectClose([soft.loss], [-Math.log(y[0]!) - Math.log(y[3]!)], 'loss')
  })

  it('divides the loss and the gradients by M for the mean', () => {
    const input: DeltaRuleInput = {
      weights: [{ W: m([[0.5, -1], [0.1, 0.3]]), b: v([0.1, -0.2]) }],
      x: m([[1, 2], [0.5, -0.5], [2, 1]]),
      t: m([[0, 1], [1, 0], [1, 0]]),
      activations: ['softmax'],
      loss: 'softmax-cross-entropy',
    }
    const sum = run(input)
    const mean = run({ ...input, reduction: 'mean' })
    expectClose([mean.loss], [sum.loss / 3], 'loss')
    expectClose(mean.gradients[0]!.W.data, Array.from(sum.gradients[0]!.W.data, (g) => g / 3), 'W')
    expectClose(mean.outputs.data, sum.outputs.data, 'y')
  })

  it('reports inconsistent shapes and layers as errors', () => {
    const base: DeltaRuleInput = {
      weights: [{ W: m([[0.5, -1]]), b: v([0.25]) }],
      x: m([[1, 2]]),
      t: m([[0.75]]),
      activations: ['linear'],
      loss: 'sse',
    }
    const message = (input: DeltaRuleInput) => {
      const r = deltaRule(input)
      return E.isLeft(r) ? r.left.message : 'no error'
    }
    expect(message({ ...base, x: m([[1, 2, 3]]) })).toBe('deltaRule: W1 has shape [1,2] but [1,3] is needed')
    expect(message({ ...base, weights: [{ W: v([0.5, -1]), b: v([0.25]) }] })).toBe(
      'deltaRule: W1 must be a matrix [N_1, N_0], got shape [2]',
    )
    expect(message({ ...base, t: m([[1, 2]]) })).toBe('deltaRule: t has shape [1,2] but [1,1] is needed')
    expect(message({ ...base, weights: [{ W: m([[0.5, -1]]), b: v([0, 1]) }] })).toBe('deltaRule: b1 has shape [2] but [1] is needed')
    expect(message({ ...base, x: { shape: [1, 2], data: [1] } })).toBe('deltaRule: x has 1 values but shape [1,2] needs 2')
    expect(message({ ...base, activations: ['softmax'] })).toBe('deltaRule: a softmax output needs at least 2 units, got 1')
    expect(message({ ...base, loss: 'mse' as never })).toBe(
      "deltaRule: unknown loss 'mse'; expected one of sse, cross-entropy, softmax-cross-entropy",
    )
    expect(message({ ...base, reduction: 'avg' as never })).toBe("deltaRule: unknown reduction 'avg'; expected sum or mean")
    expect(message({ ...base, activations: [] })).toBe('deltaRule: sizes [2,1] describe 1 layer(s) but 0 activation(s) are given')
  })
})

describe('deltaRule on the reference networks', () => {
  it('finds network cases', () => {
    expect(networkCases.length).toBeGreaterThan(0)
  })

  it.each(networkCases.map((c) => [c.id, c] as const))('%s', (_, c) => {
    const r = run({
      weights: c.weights.map(({ W, b }) => ({ W: m(W), b: v(b) })),
      x: m(c.x),
      t: m(c.t),
      activations: c.activations,
      loss: c.loss,
    })
    expectClose([r.loss], [c.expected.loss], 'loss')
    expectClose(r.outputs.data, c.expected.outputs.flat(), 'outputs')
    c.expected.gradients.forEach(({ W, b }, l) => {
      expectClose(r.gradients[l]!.W.data, W.flat(), `dE/dW${l + 1}`)
      expectClose(r.gradients[l]!.b.data, b, `dE/db${l + 1}`)
    })
  })
})
