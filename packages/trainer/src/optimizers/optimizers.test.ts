import type { Tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Optimizer } from '../optimizer.js'
import type { Params } from '../params.js'
import { adam } from './adam.js'
import { momentum } from './momentum.js'
import { gd, sgd } from './sgd.js'

const vec = (...values: number[]): Tensor => ({ shape: [values.length], dtype: 'f64', data: Float64Array.from(values) })
const values = (p: Params, name = 'w'): number[] => Array.from(p[name]!.data)

const w0: Params = { w: vec(1, -2) }
const g1: Params = { w: vec(0.5, 0.25) }
const g2: Params = { w: vec(1, -1) }

/**
 * Runs an optimiser's update graph for `n` steps from `params` on the
 * reference interpreter, as the trainer does: the gradients `gradAt(values,
 * k)` fed, scalars fed rounded to their dtype, slots starting at zero, and
 * every update's value carried into the next step. Returns the parameters
 * and slots after each step, by name (slots as `<param>:<slot>`).
 */
const run = (opt: Optimizer, params: Params, n: number, gradAt: (current: Params, k: number) => Params, firstStep = 1): Params[] => {
  const slots = new Map<string, Tensor>()
  const { graph, result: form } = buildOrThrow(emptyGraph, (b) => {
    const ps = Object.entries(params).map(([name, p]) => ({ name, node: b.param(name, p.shape, p.dtype), grad: b.input(`d/${name}`, p.shape, p.dtype) }))
    return opt.append(b, ps, {
      scalar: (key, dtype) => b.input(`__${key}:${dtype}`, [], dtype),
      slot: (param, name) => {
        const p = params[param]!
        const full = `${param}:${name}`
        slots.set(full, { shape: p.shape, dtype: p.dtype, data: p.dtype === 'f32' ? new Float32Array(p.data.length) : new Float64Array(p.data.length) })
        return { name: full, node: b.param(full, p.shape, p.dtype) }
      },
    })
  })
  let current: Record<string, Tensor> = { ...params, ...Object.fromEntries(slots) }
  return Array.from({ length: n }, (_, k) => {
    const g = gradAt(current, k)
    const scalars = graph.nodes.flatMap((n): [string, Tensor][] => {
      const name = n.op === 'input' ? String(n.attrs.name) : ''
      if (!name.startsWith('__')) return []
      const v = form.scalars({ step: firstStep + k, epoch: 1 })[name.slice(2, name.lastIndexOf(':'))]!
      return [[name, { shape: [], dtype: n.dtype, data: n.dtype === 'f32' ? Float32Array.of(v) : Float64Array.of(v) }]]
    })
    const feeds = { ...current, ...Object.fromEntries(Object.entries(g).map(([name, t]) => [`d/${name}`, t])), ...Object.fromEntries(scalars) }
    const out = evaluate(graph, form.updates.map((u) => u.value), feeds)
    if (E.isLeft(out)) throw new Error(out.left.message)
    current = { ...current, ...Object.fromEntries(form.updates.map((u, i) => [u.param, out.right[i]!])) }
    return current
  })
}
const steps = (opt: Optimizer, params: Params, grads: readonly Params[]): Params[] => run(opt, params, grads.length, (_, k) => grads[k]!)
const step1 = (opt: Optimizer, params: Params, grads: Params, at = 1): Params => run(opt, params, 1, () => grads, at)[0]!

describe('sgd', () => {
  it('takes the lecture step w - eta * g', () => {
    const params = step1(sgd({ lr: 0.1 }), w0, g1)
    expect(values(params)[0]).toBeCloseTo(1 - 0.1 * 0.5, 15)
    expect(values(params)[1]).toBeCloseTo(-2 - 0.1 * 0.25, 15)
  })

  it('reads a schedule at the step it is given', () => {
    const opt = sgd({ lr: (step) => (step === 2 ? 1 : 0) })
    expect(values(step1(opt, w0, g1, 1))).toEqual([1, -2])
    expect(values(step1(opt, w0, g1, 2))).toEqual([0.5, -2.25])
  })

  it('keeps f32 parameters in float32, rounded on store', () => {
    const w: Params = { w: { shape: [1], dtype: 'f32', data: Float32Array.of(0.1) } }
    const g: Params = { w: { shape: [1], dtype: 'f32', data: Float32Array.of(0.3) } }
    const params = step1(sgd({ lr: 0.7 }), w, g)
    expect(params['w']!.data).toBeInstanceOf(Float32Array)
    expect(params['w']!.dtype).toBe('f32')
    // every operation rounds: the rate to float32, its product, the difference
    expect(params['w']!.data[0]).toBe(Math.fround(Math.fround(0.1) - Math.fround(Math.fround(0.7) * Math.fround(0.3))))
  })

  it('gd is the same update, marked full-batch', () => {
    expect(gd({ lr: 0.1 }).fullBatch).toBe(true)
    expect(sgd({ lr: 0.1 }).fullBatch).toBe(false)
    expect(values(step1(gd({ lr: 0.1 }), w0, g1))).toEqual(values(step1(sgd({ lr: 0.1 }), w0, g1)))
  })
})

describe('momentum', () => {
  it('accumulates velocity v <- mu v - eta g, w <- w + v (hand-computed two steps)', () => {
    const [s1, s2] = steps(momentum({ lr: 0.1, beta: 0.9 }), w0, [g1, g2])
    // v1 = -0.1 * g1 = [-0.05, -0.025]
    expect(values(s1!, 'w:velocity')[0]).toBeCloseTo(-0.05, 15)
    expect(values(s1!, 'w:velocity')[1]).toBeCloseTo(-0.025, 15)
    expect(values(s1!)[0]).toBeCloseTo(0.95, 15)
    expect(values(s1!)[1]).toBeCloseTo(-2.025, 15)
    // v2 = 0.9 v1 - 0.1 g2 = [-0.145, 0.0775]
    expect(values(s2!, 'w:velocity')[0]).toBeCloseTo(-0.145, 15)
    expect(values(s2!, 'w:velocity')[1]).toBeCloseTo(0.0775, 15)
    expect(values(s2!)[0]).toBeCloseTo(0.805, 15)
    expect(values(s2!)[1]).toBeCloseTo(-1.9475, 15)
  })

  it('starts from zero velocity: its first step is plain gradient descent', () => {
    expect(values(step1(momentum({ lr: 0.1, beta: 0.9 }), w0, g1))).toEqual(values(step1(sgd({ lr: 0.1 }), w0, g1)))
  })
})

describe('adam', () => {
  it('applies bias-corrected moments (hand-computed two steps)', () => {
    const [s1, s2] = steps(adam({ lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }), w0, [g1, g2])
    // t = 1: m = 0.1 g, v = 0.001 g^2, so m^ = g and v^ = g^2: a step of lr * g / (|g| + eps)
    expect(values(s1!, 'w:m')[0]).toBeCloseTo(0.05, 15)
    expect(values(s1!, 'w:v')[0]).toBeCloseTo(0.00025, 15)
    expect(values(s1!)[0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 14)
    expect(values(s1!)[1]).toBeCloseTo(-2 - (0.1 * 0.25) / (0.25 + 1e-8), 14)

    // t = 2: c1 = 1 - 0.9^2 = 0.19, c2 = 1 - 0.999^2 = 0.001999
    // element 0: m = 0.9*0.05 + 0.1*1 = 0.145, v = 0.999*0.00025 + 0.001*1 = 0.00124975
    // element 1: m = 0.9*0.025 - 0.1 = -0.0775, v = 0.999*0.0000625 + 0.001 = 0.0010624375
    expect(values(s2!, 'w:m')[0]).toBeCloseTo(0.145, 15)
    expect(values(s2!, 'w:v')[1]).toBeCloseTo(0.0010624375, 15)
    const step0 = (0.1 * (0.145 / 0.19)) / (Math.sqrt(0.00124975 / 0.001999) + 1e-8)
    const step1 = (0.1 * (-0.0775 / 0.19)) / (Math.sqrt(0.0010624375 / 0.001999) + 1e-8)
    expect(values(s2!)[0]).toBeCloseTo(values(s1!)[0]! - step0, 14)
    expect(values(s2!)[1]).toBeCloseTo(values(s1!)[1]! - step1, 14)
    // without the correction the first entry would move by 0.1 * 0.145 / sqrt(0.00124975), about 0.41
    expect(step0).toBeCloseTo(0.0965, 3)
  })

  it('defaults to lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8', () => {
    const params = step1(adam(), w0, g1)
    expect(values(params)[0]).toBeCloseTo(1 - (0.001 * 0.5) / (0.5 + 1e-8), 15)
  })
})

describe('every optimiser', () => {
  const optimisers: [string, Optimizer][] = [
    ['sgd', sgd({ lr: 0.3 })],
    ['gd', gd({ lr: 0.3 })],
    ['momentum', momentum({ lr: 0.3, beta: 0.5 })],
    ['adam', adam({ lr: 0.3 })],
  ]
  it.each(optimisers)('%s moves downhill on a quadratic bowl', (_name, opt) => {
    // E(w) = 1/2 |w|^2, grad = w
    const params = run(opt, { w: vec(3, -4) }, 50, (current) => ({ w: current['w']! }))[49]!
    const norm = Math.hypot(...values(params))
    expect(norm).toBeLessThan(0.5 * 5)
  })
})
