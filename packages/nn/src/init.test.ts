import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { type InitLayers, type InitOptions, initParams, type ParamValue } from './init.js'

const init = (layers: InitLayers, options: InitOptions): Record<string, ParamValue> => {
  const result = initParams(layers, options)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

/** Mean, variance, kurtosis and largest magnitude of a sample. */
const moments = (data: ArrayLike<number>) => {
  const n = data.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += data[i]!
  mean /= n
  let m2 = 0
  let m4 = 0
  let max = 0
  for (let i = 0; i < n; i++) {
    const d = data[i]! - mean
    m2 += d * d
    m4 += d * d * d * d
    max = Math.max(max, Math.abs(data[i]!))
  }
  m2 /= n
  m4 /= n
  return { mean, variance: m2, kurtosis: m4 / (m2 * m2), max }
}

describe('initParams', () => {
  const fanIn = 400
  const fanOut = 300

  it('glorot draws uniform weights in [-r, r], r = sqrt(6 / (N_in + N_out)), and zero biases', () => {
    const { W1, b1 } = init({ sizes: [fanIn, fanOut], activations: ['tanh'] }, { seed: 7, scheme: 'glorot' })
    expect(W1!.shape).toEqual([fanOut, fanIn])
    const r = Math.sqrt(6 / (fanIn + fanOut))
    const m = moments(W1!.data)
    expect(Math.abs(m.mean)).toBeLessThan(1e-3)
    expect(Math.abs(m.variance / (2 / (fanIn + fanOut)) - 1)).toBeLessThan(0.03)
    expect(m.kurtosis).toBeGreaterThan(1.7) // a uniform distribution has kurtosis 1.8
    expect(m.kurtosis).toBeLessThan(1.9)
    expect(m.max).toBeLessThanOrEqual(r)
    expect(m.max).toBeGreaterThan(0.99 * r)
    expect(b1).toEqual({ shape: [fanOut], dtype: 'f64', data: new Float64Array(fanOut) })
  })

  it('he draws normal weights with variance 2 / N_in', () => {
    const { W1 } = init({ sizes: [fanIn, fanOut], activations: ['relu'] }, { seed: 7, scheme: 'he' })
    const m = moments(W1!.data)
    expect(Math.abs(m.mean)).toBeLessThan(1e-3)
    expect(Math.abs(m.variance / (2 / fanIn) - 1)).toBeLessThan(0.03)
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.1) // a normal distribution has kurtosis 3
    const sd = Math.sqrt(2 / fanIn)
    const within = Array.from(W1!.data).filter((w) => Math.abs(w) < sd).length / W1!.data.length
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.01)
  })

  it('auto uses he for relu layers and glorot for the others', () => {
    const params = init({ sizes: [fanIn, fanOut, 200, 100], activations: ['relu', 'logsig', 'linear'] }, { seed: 3 })
    expect(moments(params.W1!.data).kurtosis).toBeGreaterThan(2.8)
    expect(Math.abs(moments(params.W1!.data).variance / (2 / fanIn) - 1)).toBeLessThan(0.03)
    expect(moments(params.W2!.data).kurtosis).toBeLessThan(1.9)
    expect(moments(params.W3!.data).max).toBeLessThanOrEqual(Math.sqrt(6 / 300))
    expect(Object.keys(params)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3'])
  })

  it('is deterministic in the seed', () => {
    const layers: InitLayers = { sizes: [5, 4, 3], activations: ['relu', 'softmax'] }
    const a = init(layers, { seed: 42 })
    const b = init(layers, { seed: 42 })
    const c = init(layers, { seed: 43 })
    expect(a).toEqual(b)
    expect(a.W1!.data).not.toBe(b.W1!.data)
    expect(Array.from(a.W1!.data)).not.toEqual(Array.from(c.W1!.data))
    expect(Array.from(a.W2!.data)).not.toEqual(Array.from(c.W2!.data))
  })

  it("draws a layer's weights independently of the layers after it", () => {
    const small = init({ sizes: [5, 4, 3], activations: ['tanh', 'linear'] }, { seed: 9 })
    const large = init({ sizes: [5, 4, 8, 2], activations: ['tanh', 'tanh', 'linear'] }, { seed: 9 })
    expect(large.W1).toEqual(small.W1)
  })

  it('gives float32 arrays for f32 layers', () => {
    const { W1, b1 } = init({ sizes: [3, 2], activations: ['tanh'], dtype: 'f32' }, { seed: 1 })
    expect(W1!.data).toBeInstanceOf(Float32Array)
    expect(b1!.data).toBeInstanceOf(Float32Array)
    expect(W1!.dtype).toBe('f32')
  })

  it('rejects an unknown scheme or a non-finite seed', () => {
    const layers: InitLayers = { sizes: [3, 2], activations: ['tanh'] }
    expect(initParams(layers, { seed: 1, scheme: 'xavier' as never })).toEqual(
      E.left({ _tag: 'InvalidGraph', path: 'scheme', message: "initParams: unknown scheme 'xavier'; expected glorot, he or auto" }),
    )
    expect(initParams(layers, { seed: Number.NaN })).toEqual(
      E.left({ _tag: 'InvalidGraph', path: 'seed', message: 'initParams: seed is NaN; it must be a finite number' }),
    )
  })
})
