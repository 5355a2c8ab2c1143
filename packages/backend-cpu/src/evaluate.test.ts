import * as E from 'fp-ts/lib/Either.js'
import { type Feeds, type Tensor, tensor } from '@backprop/backend'
import { buildOrThrow, type DType, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { cpuBackend, evaluate } from './index.js'

const D = 3
const H = 4
const K = 2
const N = 5

/** A 2-layer network (logsig hidden layer, linear output) with an SSE loss, on a batch of N samples. */
const network = (dtype: DType) =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [N, D], dtype)
    const t = b.input('t', [N, K], dtype)
    const z1 = b.sigmoid(b.add(b.matmul(x, b.param('W1', [D, H], dtype)), b.param('b1', [H], dtype)))
    const y = b.add(b.matmul(z1, b.param('W2', [H, K], dtype)), b.param('b2', [K], dtype))
    const loss = b.mul(b.scalar(0.5, dtype), b.sum(b.square(b.sub(y, t))))
    return { y, loss }
  })

const values = (n: number, seed: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.5)

const feedsOf = (dtype: DType): Feeds => ({
  x: tensor(values(N * D, 1), [N, D], dtype),
  t: tensor(values(N * K, 2), [N, K], dtype),
  W1: tensor(values(D * H, 3), [D, H], dtype),
  b1: tensor(values(H, 4), [H], dtype),
  W2: tensor(values(H * K, 5), [H, K], dtype),
  b2: tensor(values(K, 6), [K], dtype),
})

/** The same forward pass and loss by plain loops, in float64, from the fed values. */
const byHand = (feeds: Feeds): { y: number[]; loss: number } => {
  const [x, t, W1, b1, W2, b2] = ['x', 't', 'W1', 'b1', 'W2', 'b2'].map((k) => feeds[k]!.data)
  const y: number[] = []
  let loss = 0
  for (let n = 0; n < N; n++) {
    const z: number[] = []
    for (let j = 0; j < H; j++) {
      let a = b1![j]!
      for (let i = 0; i < D; i++) a += x![n * D + i]! * W1![i * H + j]!
      z.push(1 / (1 + Math.exp(-a)))
    }
    for (let k = 0; k < K; k++) {
      let a = b2![k]!
      for (let j = 0; j < H; j++) a += z[j]! * W2![j * K + k]!
      y.push(a)
      loss += 0.5 * (a - t![n * K + k]!) ** 2
    }
  }
  return { y, loss }
}

const expectClose = (actual: ArrayLike<number>, expected: readonly number[], tolerance: number): void => {
  expect(actual.length).toBe(expected.length)
  expected.forEach((e, i) => expect(Math.abs(actual[i]! - e), `element ${i}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e))))
}

describe('evaluate', () => {
  it('computes a two-layer network and its SSE loss like plain loops (f64)', () => {
    const { graph, result } = network('f64')
    const feeds = feedsOf('f64')
    const out = evaluate(graph, [result.y, result.loss], feeds)
    if (E.isLeft(out)) throw new Error(out.left.message)
    const [y, loss] = out.right as [Tensor, Tensor]
    const expected = byHand(feeds)
    expect(y.shape).toEqual([N, K])
    expect(loss.shape).toEqual([])
    expectClose(y.data, expected.y, 1e-12)
    expectClose(loss.data, [expected.loss], 1e-12)
  })

  it('computes the same network in float32 to float32 accuracy', () => {
    const { graph, result } = network('f32')
    const feeds = feedsOf('f32')
    const out = evaluate(graph, [result.y, result.loss], feeds)
    if (E.isLeft(out)) throw new Error(out.left.message)
    expect(out.right[0]!.data).toBeInstanceOf(Float32Array)
    const expected = byHand(feeds)
    expectClose(out.right[0]!.data, expected.y, 1e-5)
    expectClose(out.right[1]!.data, [expected.loss], 1e-5)
  })

  it("computes the lecture's single logsig neuron and its squared error", () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const w = b.param('w', [3])
      const x = b.input('x', [3])
      const y = b.sigmoid(b.sum(b.mul(w, x)))
      return [y, b.mul(b.scalar(0.5), b.square(b.sub(y, b.input('t'))))]
    })
    const out = evaluate(graph, result, { w: tensor([0.5, -1, 2], [3]), x: tensor([1, 2, 0.25], [3]), t: tensor([1], []) })
    const a = 0.5 - 2 + 0.5
    const y = 1 / (1 + Math.exp(-a))
    expect(E.isRight(out) && out.right.map((v) => v.data[0])).toEqual([y, 0.5 * (y - 1) ** 2])
  })

  it('returns the first feed error as a Left', () => {
    const { graph, result } = network('f64')
    const { W2: _, ...rest } = feedsOf('f64')
    expect(evaluate(graph, [result.y], rest)).toEqual(
      E.left({ _tag: 'MissingFeed', name: 'W2', message: "missing feed 'W2' (param [4,2] f64)" }),
    )
    expect(E.isLeft(evaluate(graph, [99], feedsOf('f64')))).toBe(true)
  })

  it('does not need feeds the outputs do not depend on', () => {
    const { graph, result } = network('f64')
    const { t: _, ...rest } = feedsOf('f64')
    expect(E.isRight(evaluate(graph, [result.y], rest))).toBe(true)
    expect(E.isLeft(evaluate(graph, [result.loss], rest))).toBe(true)
  })
})

describe('cpuBackend', () => {
  it('is named cpu and runs synchronously and asynchronously to the same result', async () => {
    const backend = cpuBackend()
    expect(backend.name).toBe('cpu')
    const { graph, result } = network('f64')
    const compiled = backend.compile(graph, [result.loss])
    if (E.isLeft(compiled)) throw new Error(compiled.left.message)
    const sync = compiled.right.runSync(feedsOf('f64'))
    const async = await compiled.right.run(feedsOf('f64'))
    expect(E.isRight(sync) && Array.from(sync.right[0]!.data)).toEqual(E.isRight(async) && Array.from(async.right[0]!.data))
  })

  it('skips feed validation when asked to, for callers that validated already', () => {
    const { graph, result } = network('f64')
    const feeds = { ...feedsOf('f64'), extra: tensor([1], [1]) }
    const strict = cpuBackend().compile(graph, [result.y])
    const trusting = cpuBackend({ validateFeeds: false }).compile(graph, [result.y])
    if (E.isLeft(strict) || E.isLeft(trusting)) throw new Error('compile failed')
    expect(E.isLeft(strict.right.runSync(feeds))).toBe(true)
    expect(E.isRight(trusting.right.runSync(feeds))).toBe(true)
  })
})
