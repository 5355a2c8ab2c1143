import * as E from 'fp-ts/lib/Either.js'
import { buildOrThrow, type DType, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import type { Backend, Executable, Feeds } from '../backend.js'
import { isStateful, type ParamUpdate, type StatefulExecutable } from '../state.js'
import { tensor } from '../tensor.js'
import { dtypes, uniform, unwrap } from './harness.js'

/** Samples per batch, features per sample. */
const M = 6
const D = 3

/**
 * A linear model trained in place: `y = x W + b`, loss `1/2 sum (y - t)^2`,
 * gradients written out by hand (`dW = x^T e`, `db = sum e`), and three
 * updates: momentum for W (slot V: `V' = 0.9 V + dW`, `W' = W - lr V'`),
 * and for b one nonlinear in its gradient, AdaGrad's (slot G:
 * `G' = G + db^2`, `b' = b - lr db / sqrt(G' + 1e-8)`).
 */
const model = (dtype: DType) =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [M, D], dtype)
    const t = b.input('t', [M, 1], dtype)
    const lr = b.input('lr', [], dtype)
    const W = b.param('W', [D, 1], dtype)
    const bias = b.param('b', [1], dtype)
    const V = b.param('V', [D, 1], dtype)
    const G = b.param('G', [1], dtype)
    const e = b.sub(b.add(b.matmul(x, W), bias), t)
    const loss = b.mul(b.scalar(0.5, dtype), b.sum(b.square(e)))
    const dW = b.matmul(b.transpose(x), e)
    const db = b.reshape(b.sum(e, [0]), [1])
    const V1 = b.add(b.mul(b.scalar(0.9, dtype), V), dW)
    const G1 = b.add(G, b.square(db))
    const W1 = b.sub(W, b.mul(lr, V1))
    const b1 = b.sub(bias, b.div(b.mul(lr, db), b.sqrt(b.add(G1, b.scalar(1e-8, dtype)))))
    const updates: ParamUpdate[] = [
      { param: 'W', value: W1 },
      { param: 'b', value: b1 },
      { param: 'V', value: V1 },
      { param: 'G', value: G1 },
    ]
    return { loss, updates }
  })

type State = Record<'W' | 'b' | 'V' | 'G', number[]>

/** One step of the model by plain loops in float64: the loss before it and the state after it. */
const reference = (x: readonly number[], t: readonly number[], lr: number, s: State): { loss: number; next: State } => {
  const e = Array.from({ length: M }, (_, n) => s.b[0]! + [0, 1, 2].reduce((acc, i) => acc + x[n * D + i]! * s.W[i]!, 0) - t[n]!)
  const loss = 0.5 * e.reduce((acc, v) => acc + v * v, 0)
  const dW = [0, 1, 2].map((i) => e.reduce((acc, v, n) => acc + x[n * D + i]! * v, 0))
  const db = e.reduce((acc, v) => acc + v, 0)
  const V = s.V.map((v, i) => 0.9 * v + dW[i]!)
  const G = [s.G[0]! + db * db]
  return {
    loss,
    next: { W: s.W.map((w, i) => w - lr * V[i]!), b: [s.b[0]! - (lr * db) / Math.sqrt(G[0]! + 1e-8)], V, G },
  }
}

const shapes = { W: [D, 1], b: [1], V: [D, 1], G: [1] } as const
const names = ['W', 'b', 'V', 'G'] as const

const initial: State = { W: [0.5, -0.25, 0.125], b: [0.1], V: [0, 0, 0], G: [0] }

const stateFeeds = (s: State, dtype: DType): Feeds => Object.fromEntries(names.map((n) => [n, tensor(s[n], [...shapes[n]], dtype)]))

const batch = (seed: number, dtype: DType): Feeds => ({
  x: tensor(uniform([M, D], -1, 1, seed).values, [M, D], dtype),
  t: tensor(uniform([M, 1], -1, 1, seed + 50).values, [M, 1], dtype),
  lr: tensor([0.05], [], dtype),
})

/** `|a - e| <= rtol |e| + atol` element by element, with a tolerance for a few chained ops in the dtype. */
const expectClose = (actual: ArrayLike<number>, expected: readonly number[], dtype: DType, label: string): void => {
  const [rtol, atol] = dtype === 'f32' ? [2e-5, 1e-6] : [1e-12, 1e-14]
  expect(actual.length, label).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${label}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(rtol * Math.abs(expected[i]!) + atol)
  }
}

const readState = (exe: StatefulExecutable): State => {
  const values = unwrap(exe.params.read())
  return Object.fromEntries(names.map((n) => [n, Array.from(values[n]!.data)])) as State
}

/** Compiles the model with its updates; runs `use` on the executable, stateful or not, and disposes it. */
const withModel = async (backend: Backend, dtype: DType, use: (exe: Executable) => Promise<void>): Promise<void> => {
  const { graph, result } = model(dtype)
  const exe = unwrap(backend.compile(graph, [result.loss], { updates: result.updates, batchInputs: ['x', 't'] }))
  try {
    await use(exe)
  } finally {
    await exe.dispose()
  }
}

const errorTag = (e: E.Either<{ readonly _tag: string }, unknown>): string | undefined => (E.isLeft(e) ? e.left._tag : undefined)

/**
 * In-place parameter updates (`CompileOptions.updates`): a backend that
 * holds parameters follows the {@link ParamStore} contract; one that does
 * not returns a plain executable of the same outputs, which the caller can
 * feed the parameters to.
 *
 * @internal
 */
export const describeState = (backend: () => Backend): void => {
  describe.each(dtypes)('in-place updates (%s)', (dtype) => {
    it('hold the parameters and apply every update after each run, from the values before it', async () => {
      await withModel(backend(), dtype, async (exe) => {
        let state = initial
        if (!isStateful(exe)) {
          // Not holding them is allowed: the executable then computes its outputs from fed parameters.
          const feeds = batch(1, dtype)
          const [loss] = unwrap(await exe.run({ ...feeds, ...stateFeeds(state, dtype) }))
          expectClose(loss!.data, [reference(Array.from(feeds.x!.data), Array.from(feeds.t!.data), 0.05, state).loss], dtype, 'loss')
          return
        }
        expect([...exe.params.names].sort()).toEqual(['G', 'V', 'W', 'b'])
        expect(exe.feeds.filter((f) => f.required).map((f) => f.name).sort()).toEqual(['lr', 't', 'x'])
        for (const seed of [1, 2, 3, 4]) {
          const feeds = batch(seed, dtype)
          // In float64 from the dtype's values of the batch, as the backend sees them.
          const step = reference(Array.from(feeds.x!.data), Array.from(feeds.t!.data), feeds.lr!.data[0]!, state)
          const [loss] = unwrap(await exe.run(seed === 1 ? { ...feeds, ...stateFeeds(state, dtype) } : feeds))
          expectClose(loss!.data, [step.loss], dtype, `loss of run ${seed}`)
          const held = readState(exe)
          for (const n of names) expectClose(held[n], step.next[n], dtype, `${n} after run ${seed}`)
          state = held
        }
      })
    })

    it('fail a run with MissingFeed while a held parameter was never given, and read() too', async () => {
      await withModel(backend(), dtype, async (exe) => {
        if (!isStateful(exe)) return
        const { W: _W, ...rest } = stateFeeds(initial, dtype)
        expect(errorTag(await exe.run({ ...batch(1, dtype), ...rest }))).toBe('MissingFeed')
        expect(errorTag(exe.params.read())).toBe('MissingFeed')
      })
    })

    it('take a held parameter given with a run in place of the held value, and never write into the caller’s arrays', async () => {
      await withModel(backend(), dtype, async (exe) => {
        if (!isStateful(exe)) return
        unwrap(await exe.run({ ...batch(1, dtype), ...stateFeeds(initial, dtype) }))
        const replaced = { ...initial, W: [1, 2, 3] }
        const given = stateFeeds({ ...initial, W: [1, 2, 3] }, dtype)
        const data = batch(2, dtype)
        const feeds: Feeds = { ...data, W: given.W! }
        const step = reference(Array.from(data.x!.data), Array.from(data.t!.data), 0.05, { ...readState(exe), W: replaced.W })
        const [loss] = unwrap(await exe.run(feeds))
        expectClose(loss!.data, [step.loss], dtype, 'loss from the given W')
        expectClose(readState(exe).W, step.next.W, dtype, 'W after')
        expect(Array.from(given.W!.data)).toEqual([1, 2, 3])
      })
    })

    it('write and read the held values: copies both ways, and a bad write changes nothing', async () => {
      await withModel(backend(), dtype, async (exe) => {
        if (!isStateful(exe)) return
        const values = stateFeeds(initial, dtype)
        unwrap(exe.params.write(values))
        ;(values.W!.data as Float64Array | Float32Array).fill(9)
        const read = unwrap(exe.params.read())
        expect(Array.from(read.W!.data)).toEqual(Array.from(tensor(initial.W, [D, 1], dtype).data))
        ;(read.b!.data as Float64Array | Float32Array).fill(9)
        expect(readState(exe).b).toEqual(Array.from(tensor(initial.b, [1], dtype).data))
        const before = readState(exe)
        expect(errorTag(exe.params.write({ W: tensor([1, 2], [2, 1], dtype) }))).toBe('FeedShape')
        expect(errorTag(exe.params.write({ nosuch: tensor([1], [1], dtype) }))).toBe('UnknownFeed')
        expect(readState(exe)).toEqual(before)
        // A run needs no parameter once they are all written.
        const step = reference(Array.from(batch(3, dtype).x!.data), Array.from(batch(3, dtype).t!.data), 0.05, before)
        const [loss] = unwrap(await exe.run(batch(3, dtype)))
        expectClose(loss!.data, [step.loss], dtype, 'loss from written values')
      })
    })
  })

  it('refuses updates of an unknown param, of one param twice, or of the wrong shape, at compile time', () => {
    const { graph, result } = model('f64')
    const [W1, b1] = [result.updates[0]!.value, result.updates[1]!.value]
    const compile = (updates: ParamUpdate[]) => backend().compile(graph, [result.loss], { updates })
    const refused = (updates: ParamUpdate[]): string | undefined => {
      const exe = compile(updates)
      if (E.isRight(exe)) void exe.right.dispose()
      return errorTag(exe)
    }
    expect(refused([{ param: 'nosuch', value: W1 }])).toBe('UnknownFeed')
    expect(refused([{ param: 'W', value: W1 }, { param: 'W', value: W1 }])).toBe('FeedConflict')
    expect(refused([{ param: 'W', value: b1 }])).toBe('FeedShape')
  })
}
