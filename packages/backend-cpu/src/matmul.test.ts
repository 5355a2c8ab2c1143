import * as E from 'fp-ts/lib/Either.js'
import { type Feeds, type Tensor, tensor } from '@backprop/backend'
import { type Builder, buildOrThrow, type DType, emptyGraph, type NodeId } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { type CpuBackendOptions, cpuBackend, statsOf } from './index.js'
import { values } from './testing/random-graphs.js'
import { relaxedSimdSupported } from './compiler/wasm/support.js'

const relaxed = relaxedSimdSupported()

/** Every kernel family: WebAssembly SIMD with and without relaxed SIMD's fused multiply-add (where the host has it), and JavaScript. */
const families: readonly (readonly [string, CpuBackendOptions])[] = [
  ['WebAssembly SIMD', { simd: true, fma: false }],
  ...(relaxed ? [['WebAssembly relaxed SIMD', { simd: true, fma: true }] as const] : []),
  ['JavaScript', { simd: false }],
]

/** How the product's operands are stored and whether its result is read transposed. */
type Layout = 'NN' | 'NT' | 'TN' | 'TT' | 'transposed result'

/**
 * Shapes [m, k, n]: single elements, register-tile edges (2 rows by 16 or
 * 8 columns), k over several k-blocks (of at most 512), rows over several
 * row blocks (as many rows as keep a k-block of A in 256 KiB: 178 of
 * float32 and 88 of float64 rows of 367), empty operands.
 */
const shapes: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [5, 3, 7],
  [13, 17, 11],
  [4, 300, 12],
  [9, 850, 25],
  [3, 513, 13],
  [2, 0, 3],
  [0, 3, 2],
  [33, 64, 37],
  [6, 31, 130],
  [201, 1100, 9],
]

/** The product by the textbook triple loop, with each entry's sum of |terms| for tolerances. */
const product = (a: (i: number, p: number) => number, b: (p: number, j: number) => number, m: number, k: number, n: number) => {
  const value: number[] = []
  const scale: number[] = []
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      let mag = 0
      for (let p = 0; p < k; p++) {
        s += a(i, p) * b(p, j)
        mag += Math.abs(a(i, p) * b(p, j))
      }
      value.push(s)
      scale.push(mag)
    }
  }
  return { value, scale }
}

const close = (actual: Tensor, expected: readonly number[], scale: readonly number[], dtype: DType, label: string): void => {
  expect(actual.data.length, label).toBe(expected.length)
  // float32 products accumulate in float32 (SIMD lanes, blocks of k), so the
  // error grows with k: bound it by k * eps relative to the sum of |terms|.
  const rtol = dtype === 'f32' ? 4e-5 : 1e-13
  expected.forEach((e, i) => {
    const allowed = rtol * Math.max(Math.abs(e), scale[i]!) + (dtype === 'f32' ? 1e-6 : 1e-14)
    expect(Math.abs(actual.data[i]! - e), `${label}: element ${i} is ${actual.data[i]}, expected ${e}`).toBeLessThanOrEqual(allowed)
  })
}

const run = (options: CpuBackendOptions, graph: ReturnType<typeof buildOrThrow<NodeId>>['graph'], out: NodeId, feeds: Feeds): Tensor => {
  const exe = cpuBackend(options).compile(graph, [out])
  if (E.isLeft(exe)) throw new Error(exe.left.message)
  const result = exe.right.runSync(feeds)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right[0]!
}

describe.each(families)('matrix products (%s)', (_family, options) => {
  describe.each(['f32', 'f64'] as const)('%s', (dtype) => {
    it.each(['NN', 'NT', 'TN', 'TT', 'transposed result'] as Layout[])('%s layout, every shape', (layout) => {
      for (const [m, k, n] of shapes) {
        const aStored = layout === 'TN' || layout === 'TT' ? [k, m] : [m, k]
        const bStored = layout === 'NT' || layout === 'TT' ? [n, k] : [k, n]
        const av = values(m * k, m + 10 * k)
        const bv = values(k * n, 3 * n + k)
        const { graph, result } = buildOrThrow(emptyGraph, (b) => {
          const x = b.input('a', aStored, dtype)
          const y = b.input('b', bStored, dtype)
          const opA = aStored[0] === m && aStored[1] === k && layout !== 'TN' && layout !== 'TT' ? x : b.transpose(x)
          const opB = layout === 'NT' || layout === 'TT' ? b.transpose(y) : y
          // (A B)^T read as a transpose: the backend computes B^T A^T directly.
          return layout === 'transposed result' ? b.transpose(b.matmul(opA, opB)) : b.matmul(opA, opB)
        })
        const feeds = { a: tensor(av, aStored, dtype), b: tensor(bv, bStored, dtype) }
        const A = (i: number, p: number): number => feeds.a.data[layout === 'TN' || layout === 'TT' ? p * m + i : i * k + p]!
        const B = (p: number, j: number): number => feeds.b.data[layout === 'NT' || layout === 'TT' ? j * k + p : p * n + j]!
        const expected =
          layout === 'transposed result'
            ? product((j, p) => B(p, j), (p, i) => A(i, p), n, k, m)
            : product(A, B, m, k, n)
        close(run(options, graph, result, feeds), expected.value, expected.scale, dtype, `${layout} [${m},${k}]x[${k},${n}]`)
      }
    })

    it('fuses a bias, an activation and a column scale into the epilogue, also for broadcast operands', () => {
      for (const [m, k, n] of shapes) {
        const { graph, result } = buildOrThrow(emptyGraph, (b: Builder) => {
          // A row broadcast to all m rows (stride 0), times W^T, plus bias, relu, times a column.
          const row = b.broadcast(b.input('row', [1, k], dtype), [m, k])
          const z = b.matmul(row, b.transpose(b.param('W', [n, k], dtype)))
          return b.mul(b.relu(b.add(z, b.param('bias', [n], dtype))), b.input('col', [m, 1], dtype))
        })
        const feeds = {
          row: tensor(values(k, k + 1), [1, k], dtype),
          W: tensor(values(n * k, n + 7), [n, k], dtype),
          bias: tensor(values(n, 5), [n], dtype),
          col: tensor(values(m, 9), [m, 1], dtype),
        }
        const z = product((_i, p) => feeds.row.data[p]!, (p, j) => feeds.W.data[j * k + p]!, m, k, n)
        const expected = z.value.map((v, idx) => Math.max(v + feeds.bias.data[idx % n]!, 0) * feeds.col.data[Math.floor(idx / n)]!)
        const scale = z.scale.map((s, idx) => (s + Math.abs(feeds.bias.data[idx % n]!)) * Math.abs(feeds.col.data[Math.floor(idx / n)]!) * 2)
        const exe = cpuBackend(options).compile(graph, [result])
        if (E.isLeft(exe)) throw new Error(exe.left.message)
        expect(statsOf(exe.right)!.counts.matmul, 'one product, its epilogue fused').toBe(1)
        expect(Object.keys(statsOf(exe.right)!.counts)).toEqual(options.simd ? ['matmul', 'group:wasm'] : ['matmul'])
        expect(statsOf(exe.right)!.fma).toBe(options.fma === true)
        close(run(options, graph, result, feeds), expected, scale, dtype, `epilogue [${m},${k}]x[${k},${n}]`)
      }
    })
  })
})

describe('fused multiply-add', () => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => b.matmul(b.input('a', [8, 8], 'f32'), b.input('b', [8, 8], 'f32')))

  it('is used by default exactly where the host has relaxed SIMD, and never without WebAssembly', () => {
    const stats = (options: CpuBackendOptions) => {
      const exe = cpuBackend(options).compile(graph, [result])
      if (E.isLeft(exe)) throw new Error(exe.left.message)
      return statsOf(exe.right)!
    }
    expect(stats({ simd: true }).fma).toBe(relaxed)
    expect(stats({ simd: true, fma: false }).fma).toBe(false)
    expect(stats({ simd: false, fma: true })).toMatchObject({ target: 'js', fma: false })
  })
})
