import type { Tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Optimizer } from '../optimizer.js'
import { cloneParams, type Params } from '../params.js'
import { adam } from './adam.js'
import { momentum } from './momentum.js'
import { gd, sgd } from './sgd.js'

const vec = (...values: number[]): Tensor => ({ shape: [values.length], dtype: 'f64', data: Float64Array.from(values) })
const at1 = { step: 1, epoch: 1 }
const at2 = { step: 2, epoch: 1 }
const values = (p: Params, name = 'w'): number[] => Array.from(p[name]!.data)

const w0: Params = { w: vec(1, -2) }
const g1: Params = { w: vec(0.5, 0.25) }
const g2: Params = { w: vec(1, -1) }

describe('sgd', () => {
  it('takes the lecture step w - eta * g', () => {
    const opt = sgd({ lr: 0.1 })
    const { params } = opt.step(opt.init(w0), w0, g1, at1)
    expect(values(params)[0]).toBeCloseTo(1 - 0.1 * 0.5, 15)
    expect(values(params)[1]).toBeCloseTo(-2 - 0.1 * 0.25, 15)
  })

  it('reads a schedule at the step it is given', () => {
    const opt = sgd({ lr: (step) => (step === 2 ? 1 : 0) })
    expect(values(opt.step(null, w0, g1, at1).params)).toEqual([1, -2])
    expect(values(opt.step(null, w0, g1, at2).params)).toEqual([0.5, -2.25])
  })

  it('keeps f32 parameters in float32, rounded on store', () => {
    const w: Params = { w: { shape: [1], dtype: 'f32', data: Float32Array.of(0.1) } }
    const g: Params = { w: { shape: [1], dtype: 'f32', data: Float32Array.of(0.3) } }
    const { params } = sgd({ lr: 0.7 }).step(null, w, g, at1)
    expect(params['w']!.data).toBeInstanceOf(Float32Array)
    expect(params['w']!.dtype).toBe('f32')
    expect(params['w']!.data[0]).toBe(Math.fround(Math.fround(0.1) - 0.7 * Math.fround(0.3)))
  })

  it('gd is the same update, marked full-batch', () => {
    expect(gd({ lr: 0.1 }).fullBatch).toBe(true)
    expect(sgd({ lr: 0.1 }).fullBatch).toBe(false)
    expect(values(gd({ lr: 0.1 }).step(null, w0, g1, at1).params)).toEqual(values(sgd({ lr: 0.1 }).step(null, w0, g1, at1).params))
  })
})

describe('momentum', () => {
  it('accumulates velocity v <- mu v - eta g, w <- w + v (hand-computed two steps)', () => {
    const opt = momentum({ lr: 0.1, beta: 0.9 })
    const s1 = opt.step(opt.init(w0), w0, g1, at1)
    // v1 = -0.1 * g1 = [-0.05, -0.025]
    expect(values(s1.state.velocity)[0]).toBeCloseTo(-0.05, 15)
    expect(values(s1.state.velocity)[1]).toBeCloseTo(-0.025, 15)
    expect(values(s1.params)[0]).toBeCloseTo(0.95, 15)
    expect(values(s1.params)[1]).toBeCloseTo(-2.025, 15)
    const s2 = opt.step(s1.state, s1.params, g2, at2)
    // v2 = 0.9 v1 - 0.1 g2 = [-0.145, 0.0775]
    expect(values(s2.state.velocity)[0]).toBeCloseTo(-0.145, 15)
    expect(values(s2.state.velocity)[1]).toBeCloseTo(0.0775, 15)
    expect(values(s2.params)[0]).toBeCloseTo(0.805, 15)
    expect(values(s2.params)[1]).toBeCloseTo(-1.9475, 15)
  })

  it('starts from zero velocity', () => {
    expect(values(momentum({ lr: 1 }).init(w0).velocity)).toEqual([0, 0])
  })
})

describe('adam', () => {
  it('applies bias-corrected moments (hand-computed two steps)', () => {
    const opt = adam({ lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 })
    const s1 = opt.step(opt.init(w0), w0, g1, at1)
    // t = 1: m = 0.1 g, v = 0.001 g^2, so m^ = g and v^ = g^2: a step of lr * g / (|g| + eps)
    expect(s1.state.t).toBe(1)
    expect(values(s1.state.m)[0]).toBeCloseTo(0.05, 15)
    expect(values(s1.state.v)[0]).toBeCloseTo(0.00025, 15)
    expect(values(s1.params)[0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 14)
    expect(values(s1.params)[1]).toBeCloseTo(-2 - (0.1 * 0.25) / (0.25 + 1e-8), 14)

    const s2 = opt.step(s1.state, s1.params, g2, at2)
    // t = 2: c1 = 1 - 0.9^2 = 0.19, c2 = 1 - 0.999^2 = 0.001999
    // element 0: m = 0.9*0.05 + 0.1*1 = 0.145, v = 0.999*0.00025 + 0.001*1 = 0.00124975
    // element 1: m = 0.9*0.025 - 0.1 = -0.0775, v = 0.999*0.0000625 + 0.001 = 0.0010624375
    expect(values(s2.state.m)[0]).toBeCloseTo(0.145, 15)
    expect(values(s2.state.v)[1]).toBeCloseTo(0.0010624375, 15)
    const step0 = (0.1 * (0.145 / 0.19)) / (Math.sqrt(0.00124975 / 0.001999) + 1e-8)
    const step1 = (0.1 * (-0.0775 / 0.19)) / (Math.sqrt(0.0010624375 / 0.001999) + 1e-8)
    expect(values(s2.params)[0]).toBeCloseTo(values(s1.params)[0]! - step0, 14)
    expect(values(s2.params)[1]).toBeCloseTo(values(s1.params)[1]! - step1, 14)
    // without the correction the first entry would move by 0.1 * 0.145 / sqrt(0.00124975), about 0.41
    expect(step0).toBeCloseTo(0.0965, 3)
  })

  it('defaults to lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8', () => {
    const opt = adam()
    const { params } = opt.step(opt.init(w0), w0, g1, at1)
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
  const tensors = fc
    .array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 6 })
    .chain((w) =>
      fc.tuple(fc.constant(w), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: w.length, maxLength: w.length })),
    )

  it.each(optimisers)('%s is a pure transition: inputs untouched, new arrays out, same shapes', (_name, opt) => {
    fc.assert(
      fc.property(tensors, ([w, g]) => {
        const params: Params = { a: vec(...w), b: vec(...w.map((v) => -v)) }
        const grads: Params = { a: vec(...g), b: vec(...g) }
        const state = opt.init(params)
        const before = { params: cloneParams(params), grads: cloneParams(grads), state: JSON.stringify(state, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)) }
        const once = opt.step(state, params, grads, at1)
        const again = opt.step(state, params, grads, at1)
        expect(params).toEqual(before.params)
        expect(grads).toEqual(before.grads)
        expect(JSON.stringify(state, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v))).toBe(before.state)
        for (const name of ['a', 'b']) {
          expect(once.params[name]!.data).not.toBe(params[name]!.data)
          expect(once.params[name]!.shape).toEqual(params[name]!.shape)
        }
        // the same inputs give the same step: nothing hidden changed
        expect(again.params).toEqual(once.params)
      }),
      { numRuns: 50 },
    )
  })

  it.each(optimisers)('%s moves downhill on a quadratic bowl', (_name, opt) => {
    // E(w) = 1/2 |w|^2, grad = w
    let params: Params = { w: vec(3, -4) }
    let state = opt.init(params)
    for (let step = 1; step <= 50; step++) {
      ;({ params, state } = opt.step(state, params, params, { step, epoch: 1 }))
    }
    const norm = Math.hypot(...values(params))
    expect(norm).toBeLessThan(0.5 * 5)
  })
})

/**
 * Runs an optimiser's graph form for `grads.length` steps from `params`:
 * gradients and scalars fed, slots starting at zero, and every update's
 * value carried into the next step, as a backend holding them would.
 */
const graphSteps = (opt: Optimizer, params: Params, grads: readonly Params[]): Params => {
  const slots = new Map<string, Tensor>()
  const { graph, result: form } = buildOrThrow(emptyGraph, (b) => {
    const ps = Object.entries(params).map(([name, p]) => ({ name, node: b.param(name, p.shape, p.dtype), grad: b.input(`d/${name}`, p.shape, p.dtype) }))
    return opt.updateGraph!.append(b, ps, {
      scalar: (key, dtype) => b.input(`__${key}`, [], dtype),
      slot: (param, name) => {
        const p = params[param]!
        const full = `${param}:${name}`
        slots.set(full, { shape: p.shape, dtype: p.dtype, data: new Float64Array(p.data.length) })
        return { name: full, node: b.param(full, p.shape, p.dtype) }
      },
    })
  })
  let values: Record<string, Tensor> = { ...params, ...Object.fromEntries(slots) }
  grads.forEach((g, k) => {
    const scalars = Object.entries(form.scalars({ step: k + 1, epoch: 1 })).map(
      ([key, v]): [string, Tensor] => [`__${key}`, { shape: [], dtype: 'f64', data: Float64Array.of(v) }],
    )
    const feeds = { ...values, ...Object.fromEntries(Object.entries(g).map(([name, t]) => [`d/${name}`, t])), ...Object.fromEntries(scalars) }
    const out = evaluate(graph, form.updates.map((u) => u.value), feeds)
    if (E.isLeft(out)) throw new Error(out.left.message)
    values = { ...values, ...Object.fromEntries(form.updates.map((u, i) => [u.param, out.right[i]!])) }
  })
  return Object.fromEntries(Object.keys(params).map((name) => [name, values[name]!]))
}

describe('the graph form of every optimiser', () => {
  const optimisers: [string, Optimizer][] = [
    ['sgd', sgd({ lr: (step) => 0.3 / step })],
    ['gd', gd({ lr: 0.3 })],
    ['momentum', momentum({ lr: 0.3, beta: 0.5 })],
    ['adam', adam({ lr: 0.3, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 })],
  ]
  const finite = fc.double({ min: -10, max: 10, noNaN: true })
  const case3 = fc.integer({ min: 1, max: 5 }).chain((n) =>
    fc.tuple(fc.array(finite, { minLength: n, maxLength: n }), fc.array(fc.array(finite, { minLength: n, maxLength: n }), { minLength: 3, maxLength: 3 })),
  )

  it.each(optimisers)('%s computes in float64 exactly what its step computes, over several steps', (_name, opt) => {
    expect(opt.updateGraph?.mirrors).toBe(opt.step)
    fc.assert(
      fc.property(case3, ([w, gs]) => {
        const params: Params = { a: vec(...w), b: vec(...w.map((v) => v / 2 - 1)) }
        const grads = gs.map((g): Params => ({ a: vec(...g), b: vec(...g.map((v) => -v)) }))
        let expected = params
        let state = opt.init(params)
        grads.forEach((g, k) => ({ params: expected, state } = opt.step(state, expected, g, { step: k + 1, epoch: 1 })))
        const actual = graphSteps(opt, params, grads)
        for (const name of ['a', 'b']) expect(Array.from(actual[name]!.data)).toEqual(Array.from(expected[name]!.data))
      }),
      { numRuns: 40 },
    )
  })
})
