import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { type Tensor, tensor } from '@backprop/backend'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { type CpuBackendOptions, cpuBackend, evaluate, statsOf } from './index.js'
import { buildRecipe, elementwiseRecipe, exactOps, values } from './testing/random-graphs.js'

const sameBits = (actual: Tensor, expected: Tensor): void => {
  expect(actual.dtype).toBe(expected.dtype)
  expect([...actual.shape]).toEqual([...expected.shape])
  const a = Array.from(actual.data)
  const e = Array.from(expected.data)
  a.forEach((x, i) => expect(Object.is(x, e[i]) || (Number.isNaN(x) && Number.isNaN(e[i]!)), `element ${i}: ${x} vs ${e[i]}`).toBe(true))
}

const paths: readonly [string, CpuBackendOptions, boolean][] = [
  ['WebAssembly, fused', { simd: true }, true],
  ['JavaScript, fused', { simd: false }, true],
  ['WebAssembly, unfused', { simd: true }, false],
]

describe('fused elementwise loops', () => {
  describe.each(paths)('%s', (_name, options, fuse) => {
    // Each op's result is rounded to float32 in f32 graphs, in registers as
    // in memory, so fusion changes no bit; broadcasting, transposed and
    // reshaped operands, constants and scalar inputs all take part. Graphs of
    // exact ops only run entirely in WebAssembly; the others mix in the ops
    // that run as generated JavaScript.
    it.each([
      ['exact ops', exactOps],
      ['all ops', undefined],
    ])('give the same bits as the reference interpreter on random graphs of %s', (_ops, opNames) => {
      fc.assert(
        fc.property(elementwiseRecipe(opNames), (recipe) => {
          const { graph, outputs, feeds } = buildRecipe(recipe)
          const expected = evaluate(graph, outputs, feeds)
          if (E.isLeft(expected)) throw new Error(expected.left.message)
          const exe = cpuBackend(options).compile(graph, outputs, { fuse })
          if (E.isLeft(exe)) throw new Error(exe.left.message)
          const actual = exe.right.runSync(feeds)
          if (E.isLeft(actual)) throw new Error(actual.left.message)
          actual.right.forEach((t, i) => sameBits(t, expected.right[i]!))
        }),
        { numRuns: 200, seed: 4242 },
      )
    })
  })

  it.each(paths)('read rows, columns, scalars and full operands in two-dimensional loops (%s)', (_name, options, fuse) => {
    // Widths 1..9 cover whole vectors and every scalar tail in both dtypes.
    for (const dtype of ['f32', 'f64'] as const) {
      for (let rows = 1; rows <= 3; rows++) {
        for (let cols = 1; cols <= 9; cols++) {
          const { graph, result } = buildOrThrow(emptyGraph, (b) => {
            const x = b.input('x', [rows, cols], dtype)
            const col = b.input('col', [rows, 1], dtype)
            const row = b.input('row', [cols], dtype)
            const s = b.input('s', [], dtype)
            return b.where(b.greater(x, col), b.mul(x, row), b.sub(b.max(col, s), b.transpose(b.input('t', [cols, rows], dtype))))
          })
          const feeds = {
            x: tensor(values(rows * cols, 1), [rows, cols], dtype),
            col: tensor(values(rows, 2), [rows, 1], dtype),
            row: tensor(values(cols, 3), [cols], dtype),
            s: tensor([0.25], [], dtype),
            t: tensor(values(rows * cols, 4), [cols, rows], dtype),
          }
          const expected = evaluate(graph, [result], feeds)
          const exe = cpuBackend(options).compile(graph, [result], { fuse })
          if (E.isLeft(exe) || E.isLeft(expected)) throw new Error('compile failed')
          const actual = exe.right.runSync(feeds)
          if (E.isLeft(actual)) throw new Error(actual.left.message)
          sameBits(actual.right[0]!, expected.right[0]!)
        }
      }
    }
  })

  it('compile a chain like sigmoid(x * w + b) into one loop', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [3, 8], 'f32')
      return b.sigmoid(b.add(b.mul(x, b.param('w', [8], 'f32')), b.param('b', [3, 1], 'f32')))
    })
    for (const simd of [true, false]) {
      const exe = cpuBackend({ simd }).compile(graph, [result])
      if (E.isLeft(exe)) throw new Error(exe.left.message)
      const counts = statsOf(exe.right)!.counts
      expect(Object.values(counts).reduce((s, n) => s + n, 0), JSON.stringify(counts)).toBe(1)
    }
  })

  it('materialise a value that is read outside its chain once, and reuse it', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [4], 'f64')
      const shared = b.exp(x)
      return [b.add(shared, b.scalar(1)), b.sum(shared)]
    })
    const exe = cpuBackend({ simd: true }).compile(graph, result)
    if (E.isLeft(exe)) throw new Error(exe.left.message)
    expect(statsOf(exe.right)!.counts).toEqual({ 'group:js': 1, 'group:wasm': 1, 'reduce:wasm': 1 })
    const out = exe.right.runSync({ x: tensor([0, 1, 2, 3], [4]) })
    if (E.isLeft(out)) throw new Error(out.left.message)
    expect(Array.from(out.right[0]!.data)).toEqual([0, 1, 2, 3].map((v) => Math.exp(v) + 1))
    expect(out.right[1]!.data[0]).toBeCloseTo([0, 1, 2, 3].reduce((s, v) => s + Math.exp(v), 0), 12)
  })
})
