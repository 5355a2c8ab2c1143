import { type Backend, type Executable, type Feeds, isStateful, type Tensor } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import { type Dataset, rng } from '@backprop/data'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { initParams, layered } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { eventParams, type TrainErrorEvent, type TrainEvent } from './events.js'
import type { Model } from './model.js'
import type { Optimizer } from './optimizer.js'
import { adam } from './optimizers/adam.js'
import { momentum } from './optimizers/momentum.js'
import { sgd } from './optimizers/sgd.js'
import type { TrainOptions } from './options.js'
import type { Params } from './params.js'
import { train } from './train.js'
import { countingBackend, linearData, turns } from './testing/fixtures.js'

const run = (options: TrainOptions): Promise<TrainEvent[]> => lastValueFrom(train(options).pipe(toArray()))

/** n samples of 3 features and 2 one-hot classes (the class is the sign of a fixed projection). */
const classes = (n: number, seed: number): Dataset => {
  const next = rng(seed)
  const x = new Float64Array(3 * n)
  const t = new Float64Array(2 * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) x[3 * i + j] = 2 * next() - 1
    const k = x[3 * i]! - 0.5 * x[3 * i + 1]! + 0.25 * x[3 * i + 2]! > 0 ? 1 : 0
    t[2 * i + k] = 1
  }
  return { name: 'classes', size: n, features: 3, targets: 2, classes: ['a', 'b'], x, t }
}

const spec = { sizes: [3, 5, 2], activations: ['tanh', 'softmax'] } as const
const net = (dtype: 'f32' | 'f64'): Model => (batch) => layered({ ...spec, loss: 'softmax-cross-entropy', reduction: 'mean', batch, dtype })
const init = (dtype: 'f32' | 'f64'): Params => E.getOrElseW(() => ({}))(initParams({ ...spec, dtype }, { seed: 3 }))

/** Everything a run reports, in order: losses of steps and epochs, accuracies, checkpoints, and the final parameters' values. */
const trace = (events: TrainEvent[]) =>
  events.map((e) => {
    const { samplesPerSecond: _, ...rest } = e as TrainEvent & { samplesPerSecond?: number }
    const p = eventParams(e)
    return { ...rest, params: p && Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.from(v.data)])) }
  })

const optimisers: [string, () => Optimizer][] = [
  ['sgd', () => sgd({ lr: (step) => 0.5 / (1 + step / 10) })],
  ['momentum', () => momentum({ lr: 0.2, beta: 0.8 })],
  ['adam', () => adam({ lr: 0.05 })],
]

describe('held and fed parameters', () => {
  const data = classes(23, 1)
  const test = classes(9, 2)
  const options = (backend: Backend, optimizer: Optimizer, dtype: 'f32' | 'f64'): TrainOptions => ({
    model: net(dtype), backend, data, test, params: init(dtype), optimizer, epochs: 4, batchSize: 5, seed: 7,
  })

  it.each(optimisers)('%s: a backend that holds the parameters gives in f64 exactly the run of one that does not', async (_name, make) => {
    const fast = countingBackend(cpuBackend())
    const fed = countingBackend(cpuBackend(), false)
    const a = await run(options(fast.backend, make(), 'f64'))
    const b = await run(options(fed.backend, make(), 'f64'))
    expect(a[a.length - 1]!.type).toBe('done')
    expect(trace(a)).toEqual(trace(b))
  })

  it.each(optimisers)('%s: in f32 too, both give the same parameters bit for bit', async (_name, make) => {
    const held = countingBackend(cpuBackend())
    const fed = countingBackend(cpuBackend(), false)
    const a = await run(options(held.backend, make(), 'f32'))
    const b = await run(options(fed.backend, make(), 'f32'))
    // the two paths were taken: only the fed one feeds the parameters
    expect(held.counts.feeds.some((names) => names.includes('__lr') && !names.includes('W1'))).toBe(true)
    expect(fed.counts.feeds.some((names) => names.includes('__lr') && names.includes('W1'))).toBe(true)
    const pa = eventParams(a[a.length - 1]!)!
    expect(pa['W1']!.data).toBeInstanceOf(Float32Array)
    // every event, every loss and every parameter, compared exactly: the optimisers' state is float32 on both
    expect(trace(a)).toEqual(trace(b))
  })

  it('feeds only the batch and the per-step scalars on a backend that holds the parameters', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    await run(options(backend, adam({ lr: 0.05 }), 'f64'))
    // 5 batches per epoch over 4 epochs, then two test chunks per epoch
    const training = counts.feeds.filter((names) => names.includes('__lr'))
    expect(training).toHaveLength(20)
    for (const names of training) expect(names.sort()).toEqual(['__c1', '__c2', '__lr', 't', 'x'])
    expect(counts.feeds.filter((names) => !names.includes('__lr'))).toEqual(Array.from({ length: 8 }, () => ['W1', 'b1', 'W2', 'b2', 'x', 't']))
    // update programs for batches of 5 and 3, evaluation programs for 5 and 4
    expect([...counts.compiles].sort()).toEqual([3, 4, 5, 5])
    expect(counts.disposes).toBe(4)
  })

  it('compiles and warms up every program of the run before its first step: the last batch and the test chunks too', async () => {
    const { backend: counting, counts } = countingBackend(cpuBackend())
    const runsBefore: number[] = []
    const backend: Backend = { name: counting.name, compile: (...args) => (runsBefore.push(counts.runs), counting.compile(...args)) }
    await run(options(backend, sgd({ lr: 0.1 }), 'f64'))
    // update programs for batches of 5 and 3, evaluation programs for 5 and 4, each compiled once before any run
    expect([...counts.compiles].sort()).toEqual([3, 4, 5, 5])
    expect(runsBefore).toEqual([0, 0, 0, 0])
    // The CPU backend's executables have a warm-up: each is warmed once, before any run.
    expect(counts.warmUps).toEqual([0, 0, 0, 0])
    expect(counts.runs).toBe(28)
  })

  it('reads the parameters out of an executable once per switch of programs, not again right after the snapshot of an epoch end', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const events = await run(options(backend, momentum({ lr: 0.1 }), 'f64'))
    expect(events[events.length - 1]!.type).toBe('done')
    // Each epoch ends on a batch of 3 after batches of 5: one read to switch to the program of 3, one for the
    // epoch's snapshot; the next epoch's first step writes the snapshot's values into the program of 5.
    expect(counts.reads).toBe(2 * 4)
  })

  it('feeds the parameters, slots and per-step scalars on a backend that does not hold them, disposing the executable it tried', async () => {
    const { backend, counts } = countingBackend(cpuBackend(), false)
    await run(options(backend, momentum({ lr: 0.1 }), 'f64'))
    const training = counts.feeds.filter((names) => names.includes('__lr'))
    expect(training).toHaveLength(20)
    for (const names of training) expect(names.sort()).toEqual(['W1', 'W1:velocity', 'W2', 'W2:velocity', '__lr', 'b1', 'b1:velocity', 'b2', 'b2:velocity', 't', 'x'])
    // for each training batch size, one executable tried with updates, then the one that returns them; then the evaluation programs
    expect([...counts.compiles].sort()).toEqual([3, 3, 4, 5, 5, 5])
    await counts.allDisposed()
    expect(counts.disposes).toBe(6)
  })

  it('renames its slots when the model takes their names', async () => {
    // parameters w and 'w:velocity': momentum's slot for w would have that name
    const model: Model = (batch) => {
      const { graph, result } = buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x', [batch, 2])
        const t = b.input('t', [batch, 1])
        const y = b.add(b.matmul(x, b.param('w', [2, 1])), b.param('w:velocity', [1]))
        return b.mul(b.sum(b.square(b.sub(y, t))), b.scalar(0.5 / batch))
      })
      return E.right({ graph, loss: result })
    }
    const params: Params = {
      w: { shape: [2, 1], dtype: 'f64', data: Float64Array.of(0.1, -0.2) },
      'w:velocity': { shape: [1], dtype: 'f64', data: Float64Array.of(0) },
    }
    const go = (backend: Backend) => run({ model, backend, data: linearData(12, 4), params, optimizer: momentum({ lr: 0.1 }), epochs: 3, batchSize: 4 })
    const { backend, counts } = countingBackend(cpuBackend())
    const a = await go(backend)
    expect(a[a.length - 1]!.type).toBe('done')
    // both of the model's parameters were trained in place, the velocity of 'w:velocity' beside them
    expect(counts.feeds.filter((names) => names.includes('__lr')).every((names) => !names.includes('w') && !names.includes('w:velocity'))).toBe(true)
    const last = eventParams(a[a.length - 1]!)!
    expect(Object.keys(last)).toEqual(['w', 'w:velocity'])
    expect(last['w:velocity']!.data[0]).not.toBe(0)
    const fed = countingBackend(cpuBackend(), false)
    expect(trace(a)).toEqual(trace(await go(fed.backend)))
    expect(fed.counts.feeds.filter((names) => names.includes('__lr'))[0]!.sort()).toEqual(["__lr", 't', 'w', "w:velocity", "w:velocity'", "w:velocity:velocity", 'x'])
  })

  it('stops within one step when unsubscribed, and disposes its programs', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const seen: TrainEvent[] = []
    await new Promise<void>((resolve) => {
      const subscription = train({ ...options(backend, momentum({ lr: 0.1 }), 'f64'), epochs: 50, yieldEveryMs: 0 }).subscribe((e) => {
        seen.push(e)
        if (e.type === 'step' && e.step === 7) {
          subscription.unsubscribe()
          resolve()
        }
      })
    })
    await counts.allDisposed()
    await turns(20)
    expect(seen.filter((e) => e.type === 'step')).toHaveLength(7)
    expect(counts.feeds.filter((names) => names.includes('__lr'))).toHaveLength(7)
    expect(counts.disposes).toBe(counts.compiles.length)
  })
})

describe('a step that fails', () => {
  // targets in the thousands: a huge learning rate at one step blows the parameters up
  const base = linearData(8, 1)
  const data = { ...base, t: base.t.map((v) => 1000 * v + 5000) }
  const model: Model = (batch) => layered({ sizes: [2, 1], activations: ['linear'], loss: 'sse', reduction: 'mean', batch })
  const params: Params = {
    W1: { shape: [1, 2], dtype: 'f64', data: Float64Array.of(0.25, -0.5) },
    b1: { shape: [1], dtype: 'f64', data: Float64Array.of(0.125) },
  }
  const failing = (backend: Backend, at: number, lr: number) =>
    run({ model, backend, data, params, optimizer: sgd({ lr: (step) => (step === at ? lr : 1e-6) }), epochs: 3, batchSize: 3, seed: 2 })
  const last = (events: TrainEvent[]) => events[events.length - 1] as TrainErrorEvent

  // batches of 3, 3 and 2 samples: steps 4 to 6 make epoch 2
  it.each([
    ['an overflowing update at the start of an epoch', 4, Number.MAX_VALUE, /^step 4 \(epoch 2\): the update made 'W1' non-finite .*; the parameters are kept from step 3; /],
    ['an overflowing update mid-epoch', 5, Number.MAX_VALUE, /^step 5 \(epoch 2\): the update made 'W1' non-finite .*; the parameters are kept from step 4; /],
    ['an overflowing update on the smaller last batch', 6, Number.MAX_VALUE, /^step 6 \(epoch 2\): the update made 'W1' non-finite .*; the parameters are kept from step 5; /],
    ['an infinite loss after a huge step', 5, 1e200, /^step 6 \(epoch 2\): the loss is Infinity; the parameters are kept from step 5; /],
  ])('%s: is reported with the parameters of the last good step, whether the backend holds them or not', async (_what, at, lr, message) => {
    const { backend, counts } = countingBackend(cpuBackend())
    const fast = await failing(backend, at, lr)
    const fed = await failing(countingBackend(cpuBackend(), false).backend, at, lr)
    expect(counts.feeds.some((names) => names.includes('__lr'))).toBe(true)
    expect(last(fast).message).toMatch(message)
    expect(trace(fast)).toEqual(trace(fed))
    for (const p of Object.values(eventParams(last(fast))!)) expect(Array.from(p.data).every(Number.isFinite)).toBe(true)
  })

  it('keeps the parameters of the last epoch end, and says so, when a backend does not reproduce its runs', async () => {
    // a backend whose losses drift with the number of runs it has done, so a replay never matches
    const inner = cpuBackend()
    let runs = 0
    const drifting: Backend = {
      name: 'drifting',
      compile: (graph, outputs, options) =>
        E.map((exec: Executable) => {
          const wrapped: Executable = {
            ...exec,
            run: async (feeds: Feeds) =>
              E.map((out: readonly Tensor[]) => {
                out[0]!.data[0] = out[0]!.data[0]! * (1 + ++runs * 1e-9)
                return out
              })(await exec.run(feeds)),
          }
          expect(isStateful(wrapped)).toBe(isStateful(exec))
          return wrapped
        })(inner.compile(graph, outputs, options)),
    }
    const events = await failing(drifting, 5, 1e200)
    const epoch1 = events.find((e) => e.type === 'epoch')!
    expect(last(events)).toMatchObject({ type: 'error', step: 6, epoch: 2 })
    expect(last(events).message).toBe(
      'step 6 (epoch 2): the loss is Infinity; the parameters are kept from step 3 (the end of epoch 1; the steps since could not be replayed exactly); no checkpoint has been written',
    )
    expect(eventParams(last(events))).toBe(eventParams(epoch1))
  })
})
