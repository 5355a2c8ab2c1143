import * as E from 'fp-ts/lib/Either.js'
import { tensor } from '@backprop/backend'
import { buildOrThrow, emptyGraph, ops, type UnaryOp } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { cpuBackend, statsOf } from './index.js'

/** Inputs: a dense sweep of [-120, 120], tiny magnitudes, and the edges. */
const inputs = (): Float32Array => {
  const xs: number[] = []
  for (let i = -120000; i <= 120000; i++) xs.push(i / 1000 + 1e-4 * Math.sin(i))
  for (let e = -45; e <= 0; e++) xs.push(10 ** e, -(10 ** e), 3 * 10 ** e)
  xs.push(0, -0, Infinity, -Infinity, NaN, 88.72, 88.73, -87.33, -103.97, -104, 9.01, -9.01, 1e-4, -1e-4)
  return Float32Array.from(xs)
}

/** Distance in float32 ulps (0 for two NaNs or equal values, including zeros of one sign). */
const ulps = (a: number, b: number): number => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity
  if (Object.is(a, b)) return 0
  const bits = (x: number): number => {
    const i = new Int32Array(new Float32Array([x]).buffer)[0]!
    return i < 0 ? -(i & 0x7fffffff) : i
  }
  return Math.abs(bits(a) - bits(b))
}

describe('float32 exp, sigmoid, tanh and erf in WebAssembly', () => {
  it.each(['exp', 'sigmoid', 'tanh', 'erf'] as UnaryOp[])('%s is the float32 rounding of the op table value, to one ulp', (name) => {
    const x = inputs()
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.unary(name, b.input('x', [x.length], 'f32')))
    const exe = cpuBackend({ simd: true }).compile(graph, [result])
    if (E.isLeft(exe)) throw new Error(exe.left.message)
    expect(statsOf(exe.right)!.counts).toEqual({ 'group:wasm': 1 })
    const out = exe.right.runSync({ x: tensor(x, [x.length], 'f32') })
    if (E.isLeft(out)) throw new Error(out.left.message)
    const fn = ops[name].fn!
    let off = 0
    let worst = { d: 0, message: '' }
    x.forEach((v, i) => {
      const expected = Math.fround(fn(v))
      const d = ulps(out.right[0]!.data[i]!, expected)
      if (d > 0) off++
      if (d > worst.d) worst = { d, message: `${name}(${v}) = ${out.right[0]!.data[i]}, expected ${expected}` }
    })
    expect(worst.d, worst.message).toBeLessThanOrEqual(1)
    // Computed in float64 and rounded once: all but a handful of ties are exact.
    expect(off).toBeLessThan(x.length / 10000)
  })
})
