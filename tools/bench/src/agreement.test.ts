import { describe, expect, it } from 'vitest'
import { checkEntrywise, checkLoss, checkProduct, checkStep, type ParamValues, type StepResult, tracked } from './agreement.js'

const random = (n: number, seed: number): Float32Array => {
  let s = seed
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  })
}

/** The product in float32 arithmetic, summed in the order given by `order` (a permutation of 0..n-1). */
const productF32 = (a: Float32Array, b: Float32Array, n: number, order: (p: number) => number): Float32Array => {
  const c = new Float32Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let q = 0; q < n; q++) {
        const p = order(q)
        s = Math.fround(s + Math.fround(a[i * n + p]! * b[p * n + j]!))
      }
      c[i * n + j] = s
    }
  }
  return c
}

describe('tracked', () => {
  it('counts completed runs and keeps the last result, sync or async', async () => {
    let k = 0
    const t = tracked({ run: async () => ++k * 10 })
    expect(t.runs()).toBe(0)
    await t.job.run()
    await t.job.run()
    expect(t.runs()).toBe(2)
    expect(t.last()).toBe(20)
  })
})

describe('checkProduct', () => {
  const n = 48
  const a = random(n * n, 1)
  const b = random(n * n, 2)

  it('accepts float32 products summed in any order', () => {
    expect(checkProduct(a, b, n, productF32(a, b, n, (q) => q))).toBeUndefined()
    expect(checkProduct(a, b, n, productF32(a, b, n, (q) => n - 1 - q))).toBeUndefined()
  })

  it('rejects a product with one wrong entry when every entry is sampled', () => {
    const c = productF32(a, b, n, (q) => q)
    c[5 * n + 7] = c[5 * n + 7]! + 0.01
    expect(checkProduct(a, b, n, c, n * n * 8)).toMatch(/^C\[5, 7\]/)
  })

  it('rejects the product of a transposed factor, and results of the wrong size or type', () => {
    const bT = Float32Array.from({ length: n * n }, (_, i) => b[(i % n) * n + Math.floor(i / n)]!)
    expect(checkProduct(a, b, n, productF32(a, bT, n, (q) => q))).toMatch(/expected/)
    expect(checkProduct(a, b, n, new Float32Array(n))).toMatch(/not 2304 numbers/)
    expect(checkProduct(a, b, n, undefined)).toMatch(/not 2304 numbers/)
  })
})

describe('checkEntrywise', () => {
  it('compares sampled entries within an absolute tolerance', () => {
    const y = Float32Array.from({ length: 100 }, (_, i) => Math.sqrt(i))
    expect(checkEntrywise(Math.sqrt, 100, y, 1e-6, 1000)).toBeUndefined()
    y[42] = 0
    expect(checkEntrywise(Math.sqrt, 100, y, 1e-6, 1000)).toMatch(/^entry 42/)
  })
})

describe('checkLoss and checkStep', () => {
  // A toy "training step": loss = sum p^2, p <- 0.9 p.
  const reference = (params: ParamValues): StepResult => ({
    loss: Array.from(params.p!).reduce((s, v) => s + v * v, 0),
    params: { p: Array.from(params.p!, (v) => 0.9 * v) },
  })
  const job = (scale: number, lossScale = 1) => {
    let p = [1, -2, 0.5]
    return {
      params: () => ({ p }),
      run: () => {
        const loss = lossScale * p.reduce((s, v) => s + v * v, 0)
        p = p.map((v) => Math.fround(scale * v))
        return loss
      },
    }
  }

  it('accepts a float32 step that matches the reference from the same parameters', async () => {
    expect(await checkStep(job(0.9), reference)).toBeUndefined()
  })

  it('rejects a wrong update or a wrong loss', async () => {
    expect(await checkStep(job(0.8), reference)).toMatch(/^p\[0\]/)
    expect(await checkStep(job(0.9, 1.01), reference)).toMatch(/^loss/)
  })

  it('accepts a step that disagrees once, as at a relu kink, when the next step agrees', async () => {
    const once = (wrongSteps: number) => {
      const base = job(0.9)
      let runs = 0
      return { ...base, run: () => (runs++ < wrongSteps ? 1.01 : 1) * Number(base.run()) }
    }
    expect(await checkStep(once(1), reference)).toBeUndefined()
    expect(await checkStep(once(2), reference)).toMatch(/^loss/)
  })

  it('scales the loss tolerance with the loss above 1 only', () => {
    expect(checkLoss(100.005, 100)).toBeUndefined()
    expect(checkLoss(0.5002, 0.5)).toMatch(/expected 0.5/)
    expect(checkLoss(Number.NaN, 0.5)).toMatch(/NaN/)
  })
})
