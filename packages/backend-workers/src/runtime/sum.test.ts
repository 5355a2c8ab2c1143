import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { viewOf } from './layout.js'
import { addInto, summingBuffer } from './sum.js'

/** Adds `parts` in order with one rounding per addition, element by element: the reference. */
const reference = (dtype: 'f32' | 'f64', parts: readonly number[][]): number[] =>
  parts[0]!.map((_, i) => parts.slice(1).reduce((acc, p) => (dtype === 'f32' ? Math.fround(acc + p[i]!) : acc + p[i]!), parts[0]![i]!))

describe('summing run buffers', () => {
  for (const useWasm of [true, false]) {
    for (const dtype of ['f32', 'f64'] as const) {
      it(`adds in place, one rounding per addition, in ${dtype} with ${useWasm ? 'WebAssembly SIMD' : 'JavaScript'}`, () => {
        const values = fc.double({ min: -1e30, max: 1e30, noNaN: true }).map((v) => (dtype === 'f32' ? Math.fround(v) : v))
        fc.assert(
          fc.property(fc.integer({ min: 0, max: 37 }), fc.array(values, { minLength: 3 * 37, maxLength: 3 * 37 }), (n, pool) => {
            const parts = [0, 1, 2].map((k) => pool.slice(k * 37, k * 37 + n))
            const bytes = dtype === 'f32' ? 4 : 8
            const { buffer, add } = summingBuffer(3 * 48 * bytes + 64, useWasm)
            const at = (byteOffset: number) => viewOf(buffer, { dtype, byteOffset, length: n })
            // Regions 16-byte aligned, except the last, which starts one element off.
            const offsets = [0, 48 * bytes, 96 * bytes + bytes]
            parts.forEach((p, k) => at(offsets[k]!).set(p))
            add(dtype, offsets[0]!, offsets[1]!, n)
            add(dtype, offsets[0]!, offsets[2]!, n)
            expect(Array.from(at(0))).toEqual(reference(dtype, parts))
            // The parts added are left as they were.
            expect(Array.from(at(offsets[1]!))).toEqual(parts[1])
          }),
          { seed: 5, numRuns: 60 },
        )
      })
    }
  }

  it('rounds an f32 sum after every addition, so the order of the parts shows', () => {
    // In float32, (1e8 + 1) - 1e8 is 0, while 1e8 + (1 - 1e8) would be 1.
    for (const useWasm of [true, false]) {
      const { buffer, add } = summingBuffer(64, useWasm)
      new Float32Array(buffer, 0, 3).set([1e8, 1, 2])
      new Float32Array(buffer, 16, 3).set([1, 2, 3])
      new Float32Array(buffer, 32, 3).set([-1e8, 3, 4])
      add('f32', 0, 16, 3)
      add('f32', 0, 32, 3)
      expect(Array.from(new Float32Array(buffer, 0, 3))).toEqual([0, 6, 9])
    }
  })

  it('keeps infinities and NaN as IEEE addition does', () => {
    for (const useWasm of [true, false]) {
      const { buffer, add } = summingBuffer(64, useWasm)
      new Float64Array(buffer, 0, 3).set([Infinity, Infinity, 1])
      new Float64Array(buffer, 32, 3).set([1, -Infinity, Number.NaN])
      add('f64', 0, 32, 3)
      expect(Array.from(new Float64Array(buffer, 0, 3))).toEqual([Infinity, Number.NaN, Number.NaN])
    }
  })

  it('has a shared buffer of at least the size asked for', () => {
    for (const useWasm of [true, false]) {
      const { buffer } = summingBuffer(100_000, useWasm)
      expect(buffer).toBeInstanceOf(SharedArrayBuffer)
      expect(buffer.byteLength).toBeGreaterThanOrEqual(100_000)
    }
  })

  it('adds plain arrays the same way', () => {
    const out = Float32Array.of(1e8, 1, 0.1)
    addInto(out, Float32Array.of(1, 2, 0.2))
    expect(Array.from(out)).toEqual([1e8, 3, Math.fround(Math.fround(0.1) + Math.fround(0.2))])
  })
})
