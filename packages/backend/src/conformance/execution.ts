import * as E from 'fp-ts/lib/Either.js'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import type { Backend, Feeds } from '../backend.js'
import { type Tensor, tensor } from '../tensor.js'
import { expectTensor, refOf, runOnce, uniform, unwrap, withExecutable } from './harness.js'
import { refMap, refMatmul } from './reference.js'

const copies = (feeds: Feeds): Record<string, number[]> =>
  Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, Array.from(t.data)]))

/** A two-layer perceptron with a softmax output, on a batch of 5 samples. */
const mlp = () =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [5, 4])
    const h = b.tanh(b.add(b.matmul(x, b.param('W1', [4, 3])), b.param('b1', [3])))
    const y = b.softmax(b.add(b.matmul(h, b.param('W2', [3, 2])), b.param('b2', [2])))
    return { x, h, y }
  })

const mlpFeeds = (seed: number): Feeds => ({
  x: tensor(uniform([5, 4], -2, 2, seed).values, [5, 4]),
  W1: tensor(uniform([4, 3], -1, 1, seed + 1).values, [4, 3]),
  b1: tensor(uniform([3], -1, 1, seed + 2).values, [3]),
  W2: tensor(uniform([3, 2], -1, 1, seed + 3).values, [3, 2]),
  b2: tensor(uniform([2], -1, 1, seed + 4).values, [2]),
})

/** The perceptron's output by plain loops. */
const mlpExpected = (feeds: Feeds): Tensor => {
  const x = feeds.x!.data
  const [W1, b1, W2, b2] = [feeds.W1!.data, feeds.b1!.data, feeds.W2!.data, feeds.b2!.data]
  const out: number[] = []
  for (let n = 0; n < 5; n++) {
    const h = [0, 1, 2].map((j) => Math.tanh(b1[j]! + [0, 1, 2, 3].reduce((s, i) => s + x[n * 4 + i]! * W1[i * 3 + j]!, 0)))
    const a = [0, 1].map((k) => b2[k]! + h.reduce((s, hj, j) => s + hj * W2[j * 2 + k]!, 0))
    const z = Math.exp(a[0]!) + Math.exp(a[1]!)
    out.push(Math.exp(a[0]!) / z, Math.exp(a[1]!) / z)
  }
  return tensor(out, [5, 2])
}

/**
 * How executables behave: outputs in request order, leaves and repeated
 * outputs, ownership of returned arrays, untouched feeds, repeated and
 * overlapping runs, and disposal.
 *
 * @internal
 */
export const describeExecution = (make: () => Backend): void => {
  describe('execution', () => {
    it('computes a two-layer perceptron like a plain loop', async () => {
      const { graph, result } = mlp()
      const feeds = mlpFeeds(7)
      const [y] = await runOnce(make(), graph, [result.y], feeds)
      expectTensor(y!, refOf(mlpExpected(feeds)), 'f64', 'mlp output')
    })

    it('returns outputs in request order, including leaves and constants', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x', [2])
        const w = b.param('w', [2])
        const c = b.constant([5, 6], [2])
        return { x, w, c, s: b.add(x, w) }
      })
      const feeds = { x: tensor([1, 2], [2]), w: tensor([10, 20], [2]) }
      const out = await runOnce(make(), graph, [result.s, result.c, result.w, result.x], feeds)
      expect(out.map((t) => Array.from(t.data))).toEqual([[11, 22], [5, 6], [10, 20], [1, 2]])
      expect(out[2]!.data).not.toBe(feeds.w.data)
      expect(out[3]!.data).not.toBe(feeds.x.data)
    })

    it('returns an empty list for no outputs', async () => {
      const { graph } = buildOrThrow(emptyGraph, (b) => b.input('x', [2]))
      expect(await runOnce(make(), graph, [], { x: tensor([1, 2], [2]) })).toEqual([])
    })

    it('gives a repeated output as separate arrays', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x', [3])
        return { x, y: b.exp(x), r: b.reshape(b.exp(x), [3, 1]) }
      })
      const out = await runOnce(make(), graph, [result.y, result.y, result.x, result.x, result.r], {
        x: tensor([0, 1, 2], [3]),
      })
      const datas = out.map((t) => t.data)
      expect(new Set(datas).size).toBe(datas.length)
      out[0]!.data[0] = 42
      expect(out[1]!.data[0]).toBe(1)
      out[2]!.data[0] = 42
      expect(out[3]!.data[0]).toBe(0)
      expect(Array.from(out[4]!.data)).toEqual(Array.from(out[1]!.data))
      expect(out[4]!.shape).toEqual([3, 1])
    })

    it('returns a graph output that is an input as a copy the caller owns', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => b.input('x', [2, 2], 'f32'))
      const feeds = { x: tensor([1, 2, 3, 4], [2, 2], 'f32') }
      await withExecutable(make(), graph, [result], async (exe) => {
        const [first] = unwrap(await exe.run(feeds))
        expect(Array.from(first!.data)).toEqual([1, 2, 3, 4])
        expect(first!.dtype).toBe('f32')
        first!.data.fill(9)
        expect(Array.from(feeds.x.data)).toEqual([1, 2, 3, 4])
        const [second] = unwrap(await exe.run(feeds))
        expect(Array.from(second!.data)).toEqual([1, 2, 3, 4])
      })
    })

    it('is not affected by the caller mutating a returned constant', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => {
        const c = b.constant([1, 2, 3], [3])
        return [c, b.reshape(c, [1, 3]), b.mul(c, b.scalar(2))]
      })
      await withExecutable(make(), graph, result, async (exe) => {
        const first = unwrap(await exe.run({}))
        first.forEach((t) => t.data.fill(-1))
        const second = unwrap(await exe.run({}))
        expect(second.map((t) => Array.from(t.data))).toEqual([[1, 2, 3], [1, 2, 3], [2, 4, 6]])
      })
    })

    it('never mutates the feeds', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x', [2, 3])
        const w = b.param('w', [3, 2])
        const v = b.input('v', [3])
        const outs = [
          b.reshape(x, [3, 2]),
          b.stopGradient(x),
          b.broadcast(v, [1, 3]),
          b.transpose(x),
          b.matmul(x, w),
          b.add(x, v),
          b.softmax(x),
          b.sum(b.relu(x), [0]),
          b.neg(b.broadcast(v, [2, 3])),
        ]
        return outs
      })
      const feeds = {
        x: tensor([1, -2, 3, -4, 5, -6], [2, 3]),
        w: tensor([1, 2, 3, 4, 5, 6], [3, 2]),
        v: tensor([0.5, -0.5, 2], [3]),
      }
      const before = copies(feeds)
      const out = await runOnce(make(), graph, result, feeds)
      expect(copies(feeds)).toEqual(before)
      const fed = new Set(Object.values(feeds).map((t) => t.data))
      for (const t of out) expect(fed.has(t.data)).toBe(false)
      for (const t of out) t.data.fill(0)
      expect(copies(feeds)).toEqual(before)
    })

    it('computes outputs of both dtypes from one graph', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => [
        b.mul(b.input('s', [2], 'f32'), b.scalar(1 / 3, 'f32')),
        b.mul(b.input('d', [2], 'f64'), b.scalar(1 / 3, 'f64')),
      ])
      const out = await runOnce(make(), graph, result, { s: tensor([1, 2], [2], 'f32'), d: tensor([1, 2], [2], 'f64') })
      expectTensor(out[0]!, { shape: [2], values: [1 / 3, 2 / 3] }, 'f32', 'f32 output')
      expectTensor(out[1]!, { shape: [2], values: [1 / 3, 2 / 3] }, 'f64', 'f64 output')
    })

    it('gives the same results when the same executable runs many times', async () => {
      const { graph, result } = mlp()
      const feeds = mlpFeeds(11)
      await withExecutable(make(), graph, [result.y, result.h], async (exe) => {
        const first = unwrap(await exe.run(feeds)).map((t) => Array.from(t.data))
        for (let i = 0; i < 20; i++) {
          expect(unwrap(await exe.run(feeds)).map((t) => Array.from(t.data))).toEqual(first)
        }
      })
    })

    it('keeps no state between runs on different feeds, also when runs overlap', async () => {
      const { graph, result } = mlp()
      const feedList = [1, 2, 3, 4, 5, 6].map((s) => mlpFeeds(100 * s))
      await withExecutable(make(), graph, [result.y], async (exe) => {
        for (const feeds of [...feedList, ...[...feedList].reverse()]) {
          const [y] = unwrap(await exe.run(feeds))
          expectTensor(y!, refOf(mlpExpected(feeds)), 'f64', 'sequential run')
        }
        const all = await Promise.all(feedList.map((feeds) => exe.run(feeds)))
        all.forEach((out, i) => expectTensor(unwrap(out)[0]!, refOf(mlpExpected(feedList[i]!)), 'f64', `overlapping run ${i}`))
      })
    })

    it('shares work between outputs without mixing them up', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => {
        const a = b.input('a', [2, 3])
        const m = b.matmul(a, b.transpose(a))
        return [m, b.sum(m), b.exp(m), b.sum(m, [1], true)]
      })
      const a = uniform([2, 3], -1, 1, 5)
      const out = await runOnce(make(), graph, result, { a: tensor(a.values, [2, 3]) })
      const at = { shape: [3, 2], values: [0, 1, 2].flatMap((i) => [a.values[i]!, a.values[3 + i]!]) }
      const m = refMatmul(a, at)
      expectTensor(out[0]!, m, 'f64', 'matmul')
      expectTensor(out[1]!, { shape: [], values: [m.values.reduce((s, v) => s + v, 0)] }, 'f64', 'sum')
      expectTensor(out[2]!, refMap(Math.exp, [m]), 'f64', 'exp')
      expectTensor(out[3]!, { shape: [2, 1], values: [m.values[0]! + m.values[1]!, m.values[2]! + m.values[3]!] }, 'f64', 'row sums')
    })

    it('disposes idempotently, after which runs resolve to a Disposed error', async () => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => b.exp(b.input('x', [1])))
      const compiled = make().compile(graph, [result])
      if (E.isLeft(compiled)) throw new Error(compiled.left.message)
      const exe = compiled.right
      expect(E.isRight(await exe.run({ x: tensor([0], [1]) }))).toBe(true)
      await exe.dispose()
      await exe.dispose()
      const after = await exe.run({ x: tensor([0], [1]) })
      expect(E.isLeft(after) && after.left._tag).toBe('Disposed')
    })
  })
}
