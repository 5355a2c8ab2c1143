import type { Tensor } from '@backprop/backend'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { deltaRule } from './delta-rule.js'
import { initParams } from './init.js'
import { layered, networkGradients } from './layered.js'
import type { Activation, Loss, Reduction } from './spec.js'
import { f64, numbers, run } from './testing/evaluate.js'
import { expectClose } from './testing/close.js'
import { matrixOf, networkCases, vectorOf } from './testing/reference.js'
import { nameParams } from './values.js'

interface Case {
  readonly sizes: number[]
  readonly activations: Activation[]
  readonly loss: Loss
  readonly reduction: Reduction
  readonly batch: number
  readonly seed: number
}

const hidden: Activation[] = ['linear', 'logsig', 'tanh', 'relu']

/** Losses that are defined for an output activation: the log-losses need outputs in (0, 1). */
const lossesFor = (h: Activation): Loss[] =>
  h === 'logsig' || h === 'softmax' ? ['sse', 'cross-entropy', 'softmax-cross-entropy'] : ['sse']

const cases: fc.Arbitrary<Case> = fc
  .record({
    widths: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 5 }),
    hidden: fc.array(fc.constantFrom(...hidden), { minLength: 4, maxLength: 4 }),
    output: fc.constantFrom<Activation>('linear', 'logsig', 'tanh', 'relu', 'softmax'),
    pick: fc.nat(),
    reduction: fc.constantFrom<Reduction>('sum', 'mean'),
    batch: fc.integer({ min: 1, max: 4 }),
    seed: fc.nat(),
  })
  .map(({ widths, hidden: hs, output, pick, reduction, batch, seed }) => {
    const sizes = [...widths]
    if (output === 'softmax' && sizes[sizes.length - 1]! < 2) sizes[sizes.length - 1] = 2
    const activations = [...hs.slice(0, sizes.length - 2), output]
    const losses = lossesFor(output)
    return { sizes, activations, loss: losses[pick % losses.length]!, reduction, batch, seed }
  })

/** Random inputs, weights and targets that suit the loss. */
const dataFor = (c: Case) => {
  const next = numbers(c.seed)
  const K = c.sizes[c.sizes.length - 1]!
  const matrix = (rows: number, cols: number, lo: number, hi: number) =>
    f64({ shape: [rows, cols], data: Array.from({ length: rows * cols }, () => next(lo, hi)) })
  // Weights scaled by 1/sqrt(fan-in) keep pre-activations of order 1, away
  // from outputs so close to 0 or 1 that any two float64 evaluations of the
  // log-losses' gradients differ in the 9th digit (ill-conditioning, not error).
  const weights = c.sizes.slice(1).map((n, i) => ({
    W: matrix(n, c.sizes[i]!, -2 / Math.sqrt(c.sizes[i]!), 2 / Math.sqrt(c.sizes[i]!)),
    b: f64({ shape: [n], data: Array.from({ length: n }, () => next(-0.5, 0.5)) }),
  }))
  const x = matrix(c.batch, c.sizes[0]!, -2, 2)
  let t: Tensor
  if (c.loss === 'sse') t = matrix(c.batch, K, -2, 2)
  else if (c.loss === 'cross-entropy' || c.activations[c.activations.length - 1] !== 'softmax') t = matrix(c.batch, K, 0, 1)
  else {
    // one distribution per sample: one-hot or soft, summing to 1
    const rows = Array.from({ length: c.batch }, (_, m) => {
      if (m % 2 === 0) {
        const hot = Math.floor(next(0, K))
        return Array.from({ length: K }, (_, k) => (k === hot ? 1 : 0))
      }
      const raw = Array.from({ length: K }, () => next(0.1, 1))
      const total = raw.reduce((s, r) => s + r, 0)
      return raw.map((r) => r / total)
    })
    t = f64({ shape: [c.batch, K], data: rows.flat() })
  }
  return { weights, x, t }
}

describe('symbolic gradients and deltas of layered networks agree with the delta rule', () => {
  it('on random networks, activations, losses and reductions (f64, to 1e-9)', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const net = layered({ sizes: c.sizes, activations: c.activations, loss: c.loss, reduction: c.reduction, batch: c.batch })
        if (E.isLeft(net)) throw new Error(net.left.message)
        const derived = networkGradients(net.right)
        if (E.isLeft(derived)) throw new Error(derived.left.message)
        const { weights, x, t } = dataFor(c)
        const outputs = [net.right.loss, net.right.outputs, ...derived.right.gradients.flatMap(({ W, b }) => [W, b]), ...derived.right.deltas]
        const [loss, y, ...rest] = run(derived.right.graph, outputs, { x, t, ...nameParams(weights) })
        const grads = rest.slice(0, 2 * c.activations.length)
        const deltas = rest.slice(2 * c.activations.length)
        const reference = deltaRule({ weights, x, t, activations: c.activations, loss: c.loss, reduction: c.reduction })
        if (E.isLeft(reference)) throw new Error(reference.left.message)
        const r = reference.right
        const what = `${JSON.stringify(c)}:`
        expectClose(loss!.data, [r.loss], `${what} loss`)
        expectClose(y!.data, r.outputs.data, `${what} outputs`)
        r.gradients.forEach(({ W, b }, l) => {
          expectClose(grads[2 * l]!.data, W.data, `${what} dE/dW${l + 1}`)
          expectClose(grads[2 * l + 1]!.data, b.data, `${what} dE/db${l + 1}`)
          expectClose(deltas[l]!.data, r.deltas[l]!.data, `${what} delta_${l + 1}`)
        })
      }),
      { seed: 20231023, numRuns: 300 },
    )
  }, 120_000)

  it('covers every activation and every loss in the generated cases', () => {
    const sample = fc.sample(cases, { seed: 20231023, numRuns: 300 })
    expect(new Set(sample.flatMap((c) => c.activations))).toEqual(new Set(['linear', 'logsig', 'tanh', 'relu', 'softmax']))
    const pairs = new Set(sample.map((c) => `${c.activations[c.activations.length - 1]}+${c.loss}`))
    for (const p of ['linear+sse', 'logsig+cross-entropy', 'softmax+softmax-cross-entropy', 'logsig+sse', 'relu+sse', 'softmax+sse', 'softmax+cross-entropy', 'logsig+softmax-cross-entropy', 'tanh+sse']) {
      expect(pairs).toContain(p)
    }
  })

  it('runs an f32 network with initialised parameters close to the f64 reference', () => {
    const spec = { sizes: [6, 5, 3], activations: ['relu', 'softmax'] as Activation[], loss: 'softmax-cross-entropy' as Loss, batch: 4, dtype: 'f32' as const }
    const net = layered(spec)
    const params = initParams(spec, { seed: 5 })
    if (E.isLeft(net) || E.isLeft(params)) throw new Error('build failed')
    const derived = networkGradients(net.right)
    if (E.isLeft(derived)) throw new Error(derived.left.message)
    const next = numbers(11)
    const x = Array.from({ length: 24 }, () => next(-1, 1))
    const t = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0]
    const f32 = (shape: number[], data: number[]): Tensor => ({ shape, dtype: 'f32', data: Float32Array.from(data) })
    const [loss, gW1] = run(derived.right.graph, [net.right.loss, derived.right.gradients[0]!.W], {
      x: f32([4, 6], x),
      t: f32([4, 3], t),
      ...params.right,
    })
    expect(loss!.dtype).toBe('f32')
    const weights = [1, 2].map((l) => ({ W: params.right[`W${l}`]!, b: params.right[`b${l}`]! }))
    // the reference sees the same float32-rounded inputs, in float64
    const reference = deltaRule({
      weights,
      x: { shape: [4, 6], data: Float32Array.from(x) },
      t: { shape: [4, 3], data: t },
      activations: spec.activations,
      loss: spec.loss,
    })
    if (E.isLeft(reference)) throw new Error(reference.left.message)
    expect(Math.abs(loss!.data[0]! - reference.right.loss)).toBeLessThan(1e-5 * reference.right.loss)
    const worst = Array.from(gW1!.data).reduce((w, g, i) => Math.max(w, Math.abs(g - reference.right.gradients[0]!.W.data[i]!)), 0)
    expect(worst).toBeLessThan(1e-5)
  })
})

describe('layered networks on the reference cases, through the graph', () => {
  it.each(networkCases.map((c) => [c.id, c] as const))('%s', (_, c) => {
    // the whole recipe: build for batch M with reduction 'sum', differentiate, feed by name, evaluate
    const net = layered({ sizes: c.sizes, activations: c.activations, loss: c.loss, batch: c.x.length })
    if (E.isLeft(net)) throw new Error(net.left.message)
    const derived = networkGradients(net.right)
    if (E.isLeft(derived)) throw new Error(derived.left.message)
    const weights = nameParams(c.weights.map(({ W, b }) => ({ W: f64(matrixOf(W)), b: f64(vectorOf(b)) })))
    const feeds = { x: f64(matrixOf(c.x)), t: f64(matrixOf(c.t)), ...weights }
    const wanted = [net.right.loss, net.right.outputs, ...derived.right.gradients.flatMap(({ W, b }) => [W, b])]
    const [loss, y, ...grads] = run(derived.right.graph, wanted, feeds)
    expectClose(loss!.data, [c.expected.loss], 'loss')
    expectClose(y!.data, c.expected.outputs.flat(), 'outputs')
    c.expected.gradients.forEach(({ W, b }, l) => {
      expectClose(grads[2 * l]!.data, W.flat(), `dE/dW${l + 1}`)
      expectClose(grads[2 * l + 1]!.data, b, `dE/db${l + 1}`)
    })
  })
})
