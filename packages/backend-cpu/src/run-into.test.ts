import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { allocate, type TensorData } from '@backprop/backend'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { cpuBackend } from './index.js'
import { mlpFeeds, mlpStep } from './testing/mlp.js'

describe.each([true, false])('runInto (simd %s)', (simd) => {
  const sizes = [24, 12, 5] as const
  const batch = 6
  const step = mlpStep(batch, sizes, 'f64')
  const outputs = [step.loss, ...step.gradients]
  const compiled = cpuBackend({ simd }).compile(step.graph, outputs)
  if (E.isLeft(compiled)) throw new Error(compiled.left.message)
  const exe = compiled.right
  const feeds = mlpFeeds(batch, sizes, 'f64')
  const { lr: _, ...needed } = feeds

  /** One array per output, each a view into a larger buffer at an odd offset, as a shared run buffer would hold them. */
  const views = (): { buffer: Float64Array; into: TensorData[] } => {
    const sizesOf = exe.outputs.map((o) => o.shape.reduce((p, d) => p * d, 1))
    const buffer = new Float64Array(sizesOf.reduce((a, b) => a + b + 3, 0)).fill(-7)
    let at = 3
    const into = sizesOf.map((n) => {
      const view = buffer.subarray(at, at + n)
      at += n + 3
      return view
    })
    return { buffer, into }
  }

  it('writes exactly what runSync returns into the given arrays, and nothing around them', () => {
    const expected = exe.runSync(needed)
    if (E.isLeft(expected)) throw new Error(expected.left.message)
    const { buffer, into } = views()
    expect(E.isRight(exe.runInto(needed, into))).toBe(true)
    into.forEach((data, i) => expect(Array.from(data)).toEqual(Array.from(expected.right[i]!.data)))
    const written = into.reduce((n, d) => n + d.length, 0)
    expect(buffer.filter((v) => v === -7).length).toBe(buffer.length - written)
  })

  it('writes a strided output (a transpose read as a view) in row-major order', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.transpose(b.exp(b.input('m', [2, 3], 'f64'))))
    const made = cpuBackend({ simd }).compile(graph, [result])
    if (E.isLeft(made)) throw new Error(made.left.message)
    const m = { shape: [2, 3], dtype: 'f64' as const, data: Float64Array.from([0, 1, 2, 3, 4, 5]) }
    const into = [allocate('f64', 6)]
    expect(E.isRight(made.right.runInto({ m }, into))).toBe(true)
    expect(Array.from(into[0]!)).toEqual([0, 3, 1, 4, 2, 5].map(Math.exp))
  })

  it('refuses arrays of the wrong count, size or dtype with a BadTensor error and writes nothing', () => {
    const { buffer, into } = views()
    const cases: TensorData[][] = [
      into.slice(1),
      [into[0]!, new Float64Array(into[1]!.length + 1), ...into.slice(2)],
      [into[0]!, new Float32Array(into[1]!.length), ...into.slice(2)],
    ]
    for (const wrong of cases) {
      const out = exe.runInto(needed, wrong)
      expect(E.isLeft(out) && out.left._tag).toBe('BadTensor')
    }
    expect(buffer.every((v) => v === -7)).toBe(true)
  })

  it('reports a missing feed as runSync does', () => {
    const { into } = views()
    const { x: _x, ...noX } = needed
    const out = exe.runInto(noX, into)
    expect(E.isLeft(out) && out.left._tag).toBe('MissingFeed')
  })
})
