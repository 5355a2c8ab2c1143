import * as E from 'fp-ts/lib/Either.js'
import { tensor } from '@backprop/backend'
import { buildOrThrow, type DType, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { lower } from './compiler/lower/lower.js'
import { cpuBackend, evaluate, statsOf } from './index.js'

/** sum(x * x) and sum(0 * w): the per-layer statistics and the trainer's finiteness check. */
const checks = (shape: readonly number[], dtype: DType) =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', shape, dtype)
    return [b.sum(b.square(x)), b.sum(b.mul(b.scalar(0, dtype), x))]
  })

const values = (n: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 13)))

describe('a sum over all axes of an elementwise group', () => {
  it('is computed in the group loop: no reduction and no buffer of the operand', () => {
    const { graph, result } = checks([128, 784], 'f32')
    const lowered = lower(graph, result)
    expect(lowered.instrs.map((i) => i.kind)).toEqual(['group', 'group'])
    expect(lowered.instrs.every((i) => i.kind === 'group' && i.group.sum === true)).toBe(true)
    // The operand is fed; every other storage holds one value.
    expect(lowered.storages.filter((s) => s.role === 'temp').map((s) => s.size)).toEqual([1, 1])
  })

  it('is not summed in the loop when another node reads the operand too, or the sum keeps an axis', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const sq = b.square(b.input('x', [4, 6], 'f32'))
      return [b.sum(sq), b.sum(b.square(b.input('y', [4, 6], 'f32')), [1]), b.add(sq, sq)]
    })
    expect(lower(graph, result).instrs.filter((i) => i.kind === 'reduce')).toHaveLength(2)
  })

  for (const dtype of ['f32', 'f64'] as const) {
    for (const simd of [true, false]) {
      for (const shape of [[128, 784], [37, 13], [5], [0, 3]]) {
        it(`gives the reduction kernel's value (${dtype}, ${simd ? 'WebAssembly' : 'JavaScript'}, ${JSON.stringify(shape)})`, () => {
          const { graph, result } = checks(shape, dtype)
          const n = shape.reduce((a, d) => a * d, 1)
          const x = tensor(values(n), shape, dtype)
          const fused = cpuBackend({ simd }).compile(graph, result)
          const apart = cpuBackend({ simd }).compile(graph, result, { fuse: false })
          if (E.isLeft(fused) || E.isLeft(apart)) throw new Error('does not compile')
          if (simd && n > 0) expect(statsOf(fused.right)?.counts['reduce:wasm']).toBeUndefined()
          const [a, b] = [fused.right.runSync({ x }), apart.right.runSync({ x })]
          if (E.isLeft(a) || E.isLeft(b)) throw new Error('does not run')
          // Summed in float64 and rounded once, as the kernel sums what the loop stores.
          expect(a.right.map((t) => t.data[0])).toEqual(b.right.map((t) => t.data[0]))
          const exact = values(n).reduce((s, v) => s + (dtype === 'f32' ? Math.fround(Math.fround(v) ** 2) : v * v), 0)
          // In f32 the float64 sum rounds to the exact one; in f64 lanes sum in another order than one by one.
          if (dtype === 'f32') expect(a.right[0]!.data[0]).toBe(Math.fround(exact))
          else expect(Math.abs(a.right[0]!.data[0]! - exact)).toBeLessThanOrEqual(1e-14 * exact)
          expect(a.right[1]!.data[0]).toBe(0)
        })
      }
    }
  }

  it('is NaN when the operand holds NaN or an infinity anywhere, so the finiteness check still fires', () => {
    const { graph, result } = checks([37, 13], 'f32')
    const exe = cpuBackend({ simd: true }).compile(graph, result)
    if (E.isLeft(exe)) throw new Error('does not compile')
    for (const [at, bad] of [[0, NaN], [200, Infinity], [480, -Infinity]] as const) {
      const v = values(37 * 13)
      v[at] = bad
      const out = exe.right.runSync({ x: tensor(v, [37, 13], 'f32') })
      if (E.isLeft(out)) throw new Error('does not run')
      expect(out.right[1]!.data[0], `${bad} at ${at}`).toBeNaN()
    }
  })

  it('agrees with the reference interpreter on a graph mixing summed groups, products and kept axes', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [6, 10], 'f64')
      const w = b.input('w', [10, 3], 'f64')
      const h = b.tanh(b.matmul(x, w))
      return [b.sum(b.square(h)), b.sum(b.mul(h, b.scalar(2, 'f64')), [0]), b.sum(b.sub(x, b.scalar(1, 'f64')))]
    })
    const feeds = { x: tensor(values(60), [6, 10], 'f64'), w: tensor(values(30).map((v) => v / 10), [10, 3], 'f64') }
    const exe = cpuBackend().compile(graph, result)
    const reference = evaluate(graph, result, feeds)
    if (E.isLeft(exe) || E.isLeft(reference)) throw new Error('does not compile')
    const out = exe.right.runSync(feeds)
    if (E.isLeft(out)) throw new Error('does not run')
    out.right.forEach((t, i) => t.data.forEach((v, j) => expect(v).toBeCloseTo(reference.right[i]!.data[j]!, 12)))
  })
})
