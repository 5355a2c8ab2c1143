import * as E from 'fp-ts/lib/Either.js'
import { tensor } from '@backprop/backend'
import { buildOrThrow, type DType, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { cpuBackend, statsOf } from './index.js'
import { values } from './testing/random-graphs.js'

/** Sum or maximum over `axes` by multi-index, in input order (the first of equal values wins a maximum). */
const reference = (data: ArrayLike<number>, shape: readonly number[], axes: readonly number[], op: 'sum' | 'max') => {
  const kept = shape.map((d, a) => (axes.includes(a) ? 1 : d))
  const size = kept.reduce((p, d) => p * d, 1)
  const out: (number | undefined)[] = new Array(size).fill(undefined)
  const scale = new Array<number>(size).fill(0)
  for (let flat = 0; flat < data.length; flat++) {
    let rest = flat
    let o = 0
    let stride = 1
    for (let a = shape.length - 1; a >= 0; a--) {
      const i = rest % shape[a]!
      rest = Math.floor(rest / shape[a]!)
      if (!axes.includes(a)) o += i * stride
      stride *= kept[a]!
    }
    const v = data[flat]!
    const prior = out[o]
    out[o] = op === 'sum' ? (prior ?? 0) + v : prior === undefined || v > prior || Number.isNaN(v) ? v : prior
    scale[o]! += Math.abs(v)
  }
  return { values: out.map((v) => v ?? (op === 'sum' ? 0 : -Infinity)), scale }
}

const shapes: readonly (readonly number[])[] = [
  [37],
  [5, 19],
  [19, 5],
  [3, 9, 13],
  [64, 10],
  [2, 33, 7],
]

describe.each([true, false])('reductions (simd %s)', (simd) => {
  it.each(['f32', 'f64'] as DType[])('sum and reduceMax over every run of axes (%s)', (dtype) => {
    for (const shape of shapes) {
      const subsets = Array.from({ length: 2 ** shape.length }, (_, bits) => shape.map((_, a) => a).filter((a) => bits & (1 << a)))
      for (const axes of subsets) {
        for (const op of ['sum', 'max'] as const) {
          const size = shape.reduce((p, d) => p * d, 1)
          // Zeros of both signs and repeated values make ties likely.
          const data = values(size, size + axes.length).map((v, i) => (i % 7 === 3 ? -0 : v))
          const x = tensor(data, shape, dtype)
          const { graph, result } = buildOrThrow(emptyGraph, (b) => {
            const v = b.input('x', shape, dtype)
            return op === 'sum' ? b.sum(v, axes) : b.reduceMax(v, axes)
          })
          const exe = cpuBackend({ simd }).compile(graph, [result])
          if (E.isLeft(exe)) throw new Error(exe.left.message)
          // One run of reduced axes is a WebAssembly kernel; others ([0, 2] of three) run in JavaScript.
          const oneRun = axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1)
          if (simd && axes.length > 0) expect(statsOf(exe.right)!.counts['reduce:wasm'] ?? 0, `${op} [${shape}] axes [${axes}]`).toBe(oneRun ? 1 : 0)
          const out = exe.right.runSync({ x })
          if (E.isLeft(out)) throw new Error(out.left.message)
          const expected = reference(x.data, shape, axes, op)
          const label = `${op} [${shape}] axes [${axes}] ${dtype}`
          expected.values.forEach((e, i) => {
            const a = out.right[0]!.data[i]!
            if (op === 'max') expect(Object.is(a, dtype === 'f32' ? Math.fround(e) : e), `${label}: element ${i} is ${a}, expected ${e}`).toBe(true)
            else expect(Math.abs(a - e), `${label}: element ${i}`).toBeLessThanOrEqual((dtype === 'f32' ? 1e-6 : 1e-14) * (expected.scale[i]! + 1))
          })
        }
      }
    }
  })
})
