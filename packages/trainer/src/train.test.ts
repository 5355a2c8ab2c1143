import type { Backend, Executable, Feeds } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import { type Dataset, epochOrder } from '@backprop/data'
import { initParams, layered, type Network } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { nodeIo } from './atomic-write.js'
import { loadParams } from './checkpoint.js'
import { evaluateModel } from './evaluate.js'
import { type DoneEvent, type EpochEvent, eventParams, type StepEvent, type TrainErrorEvent, type TrainEvent } from './events.js'
import type { Model } from './model.js'
import { adam } from './optimizers/adam.js'
import { momentum } from './optimizers/momentum.js'
import { gd, sgd } from './optimizers/sgd.js'
import type { TrainOptions } from './options.js'
import { cloneParams, type Params } from './params.js'
import { train } from './train.js'
import { countingBackend, linearData, logModel, sqrtModel, turns, xorData } from './testing/fixtures.js'

const linearModel: Model = (batch) => layered({ sizes: [2, 1], activations: ['linear'], loss: 'sse', reduction: 'mean', batch })
const linearInit: Params = {
  W1: { shape: [1, 2], dtype: 'f64', data: Float64Array.of(0.25, -0.5) },
  b1: { shape: [1], dtype: 'f64', data: Float64Array.of(0.125) },
}

const run = (options: TrainOptions): Promise<TrainEvent[]> => lastValueFrom(train(options).pipe(toArray()))

const ofType = <T extends TrainEvent['type']>(events: TrainEvent[], type: T) =>
  events.filter((e): e is Extract<TrainEvent, { type: T }> => e.type === type)

/** The mean-sse loss 1/(2n) sum (x.W + b - t)^2 of rows `rows` of a 2-feature regression set. */
const linearLoss = (ds: Dataset, rows: ArrayLike<number>, p: Params): number => {
  const [w1, w2] = p['W1']!.data
  const b = p['b1']!.data[0]!
  let sum = 0
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!
    const e = ds.x[2 * i]! * w1! + ds.x[2 * i + 1]! * w2! + b - ds.t[i]!
    sum += e * e
  }
  return sum / (2 * rows.length)
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trainer-run-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('train: the order and content of events', () => {
  const data = linearData(10, 1, 'lin/train')
  const test = linearData(5, 2, 'lin/test')

  it('emits each epoch\'s steps, then its epoch event, then done, then completes', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const events = await run({ model: linearModel, backend, data, test, params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 2, batchSize: 4, seed: 7 })
    expect(events.map((e) => (e.type === 'step' ? `s${e.step}/${e.epoch}` : e.type === 'epoch' ? `e${e.epoch}` : e.type))).toEqual([
      's1/1', 's2/1', 's3/1', 'e1', 's4/2', 's5/2', 's6/2', 'e2', 'done',
    ])
    const [e1, e2] = ofType(events, 'epoch')
    expect(e1!.steps).toBe(3)
    expect(e2!.steps).toBe(6)
    const done = events[8] as DoneEvent
    expect(done).toEqual({
      type: 'done',
      epochs: 2,
      steps: 6,
      trainLoss: e2!.trainLoss,
      testLoss: e2!.testLoss,
      testAccuracy: null,
      samplesPerSecond: e2!.samplesPerSecond,
      stoppedEarly: false,
      checkpoint: null,
    })
    expect(eventParams(done)).toBe(eventParams(e2!))
    // programs are compiled once per batch size and kind (training 4 and 2, test chunks 4 and 1), and all disposed
    expect([...counts.compiles].sort()).toEqual([1, 2, 4, 4])
    expect(counts.disposes).toBe(4)
  })

  it('prints the contract\'s JSON lines, without parameters', async () => {
    const events = await run({ model: linearModel, backend: cpuBackend(), data, test, params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 4 })
    const epoch = JSON.parse(JSON.stringify(events[3]))
    expect(Object.keys(epoch)).toEqual(['type', 'epoch', 'trainLoss', 'testLoss', 'testAccuracy', 'samplesPerSecond', 'steps', 'checkpoint'])
    expect(epoch.samplesPerSecond).toBeGreaterThan(0)
    const done = JSON.parse(JSON.stringify(events[4]))
    expect(done.type).toBe('done')
    expect(done).not.toHaveProperty('params')
    expect(Object.keys(JSON.parse(JSON.stringify(events[0])))).toEqual(['type', 'step', 'epoch', 'loss'])
  })

  it('feeds batches in the (seed, epoch) order, reports each batch\'s loss before its update, and aggregates the figures', async () => {
    // a backend that does not hold the parameters: the trainer feeds them, so each step's run shows the parameters before it
    const { backend, counts } = countingBackend(cpuBackend(), false)
    const events = await run({ model: linearModel, backend, data, test, params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 2, batchSize: 4, seed: 7 })
    const steps = ofType(events, 'step')
    const before = counts.fed.filter((feeds) => '__lr' in feeds)
    expect(before).toHaveLength(6)
    expect(before[0]!['W1']).toEqual(linearInit['W1'])
    for (const epoch of [1, 2]) {
      const order = epochOrder(10, 7, epoch)
      const batchesOf = [order.subarray(0, 4), order.subarray(4, 8), order.subarray(8)]
      batchesOf.forEach((rows, k) => {
        const i = (epoch - 1) * 3 + k
        expect(steps[i]!.loss).toBeCloseTo(linearLoss(data, rows, before[i]!), 12)
      })
    }
    const [e1] = ofType(events, 'epoch')
    expect(e1!.trainLoss).toBeCloseTo((steps[0]!.loss + steps[1]!.loss + steps[2]!.loss) / 3, 14)
    // test loss: mean over test chunks of the training batch size (4, then 1), after the epoch's updates
    const p = eventParams(e1!)!
    expect(p).toEqual({ W1: before[3]!['W1'], b1: before[3]!['b1'] })
    expect(e1!.testLoss).toBeCloseTo((linearLoss(test, [0, 1, 2, 3], p) + linearLoss(test, [4], p)) / 2, 12)
  })

  it('reports test accuracy for classification data', async () => {
    const events = await run({
      model: (batch) => layered({ sizes: [2, 2, 1], activations: ['logsig', 'logsig'], loss: 'cross-entropy', batch }),
      backend: cpuBackend(),
      data: xorData,
      test: xorData,
      classification: true,
      params: E.getOrElseW(() => ({}))(initParams({ sizes: [2, 2, 1], activations: ['logsig', 'logsig'] }, { seed: 1 })),
      optimizer: gd({ lr: 2 }),
      epochs: 1500,
      stepEvery: 0,
    })
    const epochs = ofType(events, 'epoch')
    expect(epochs).toHaveLength(1500)
    const done = events[events.length - 1] as DoneEvent
    expect(done.type).toBe('done')
    expect(done.steps).toBe(1500) // gd: one full batch per epoch
    expect(done.testAccuracy).toBe(1)
    expect(done.trainLoss).toBeLessThan(0.05 * epochs[0]!.trainLoss)
  })

  it('leaves accuracy null for regression and test figures null without test data', async () => {
    const events = await run({ model: linearModel, backend: cpuBackend(), data, params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 1 })
    expect(events[events.length - 1]).toMatchObject({ type: 'done', testLoss: null, testAccuracy: null })
  })

  it('emits step events every `stepEvery` steps only', async () => {
    const events = await run({ model: linearModel, backend: cpuBackend(), data, params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 2, batchSize: 2, stepEvery: 4 })
    expect(ofType(events, 'step').map((e) => e.step)).toEqual([4, 8])
  })
})

describe('train: cold, cancellable, responsive', () => {
  const data = linearData(100, 3)

  it('every subscription is its own run with the same events', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const run$ = train({ model: linearModel, backend, data, params: linearInit, optimizer: momentum({ lr: 0.05 }), epochs: 2, batchSize: 16, seed: 3 })
    expect(counts.compiles).toEqual([]) // nothing happens before subscribing
    const a = await lastValueFrom(run$.pipe(toArray()))
    const b = await lastValueFrom(run$.pipe(toArray()))
    expect(counts.compiles).toHaveLength(4)
    const strip = (events: TrainEvent[]) => events.map((e) => ('samplesPerSecond' in e ? { ...e, samplesPerSecond: 0 } : e))
    expect(strip(b)).toEqual(strip(a))
  })

  it('unsubscribing stops within one step, leaves the last parameters intact, and disposes the programs', async () => {
    const { backend, counts } = countingBackend(cpuBackend(), false)
    const seen: TrainEvent[] = []
    let snapshot: Params | undefined
    const fedTo = (run: number): Params => ({ W1: counts.fed[run]!['W1']!, b1: counts.fed[run]!['b1']! })
    await new Promise<void>((resolve) => {
      const subscription = train({ model: linearModel, backend, data, params: linearInit, optimizer: sgd({ lr: 0.01 }), epochs: 50, batchSize: 1, yieldEveryMs: 0 }).subscribe({
        next: (e) => {
          seen.push(e)
          if (e.type === 'step' && e.step === 5) {
            snapshot = cloneParams(fedTo(4))
            subscription.unsubscribe()
            resolve()
          }
        },
        complete: () => seen.push({ type: 'error', message: 'completed after unsubscribe', step: null, epoch: null, checkpoint: null }),
      })
    })
    await counts.allDisposed()
    await turns(20)
    expect(seen.map((e) => e.type === 'step' && e.step)).toEqual([1, 2, 3, 4, 5])
    expect(counts.runs).toBe(5)
    expect(counts.disposes).toBe(counts.compiles.length)
    // the parameters the last step started from, after step 4, are intact
    const last = fedTo(4)
    expect(last).toEqual(snapshot)
    for (const p of Object.values(last)) expect(Array.from(p.data).every(Number.isFinite)).toBe(true)
  })

  it('unsubscribing at once runs nothing', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const seen: TrainEvent[] = []
    train({ model: linearModel, backend, data, params: linearInit, optimizer: sgd({ lr: 0.01 }), epochs: 5 })
      .subscribe((e) => seen.push(e))
      .unsubscribe()
    await turns(20)
    expect(seen).toEqual([])
    expect(counts.runs).toBe(0)
    expect(counts.disposes).toBe(counts.compiles.length)
  })

  it('aborting its signal mid-run stops within one step: no event after it, no done, the stream completes and the programs are disposed', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const controller = new AbortController()
    const events: TrainEvent[] = []
    const test = linearData(5, 2)
    await new Promise<void>((resolve) => {
      train({ model: linearModel, backend, data: linearData(10, 3), test, params: linearInit, optimizer: sgd({ lr: 0.01 }), epochs: 50, batchSize: 2, yieldEveryMs: 0, signal: controller.signal }).subscribe({
        next: (e) => {
          events.push(e)
          // step 7 is the second step of epoch 2 (5 steps an epoch)
          if (e.type === 'step' && e.step === 7) controller.abort()
        },
        complete: resolve,
      })
    })
    await counts.allDisposed()
    expect(events.map((e) => (e.type === 'step' ? e.step : e.type))).toEqual([1, 2, 3, 4, 5, 'epoch', 6, 7])
    expect(counts.feeds.filter((names) => names.includes('__lr'))).toHaveLength(7)
    expect(counts.disposes).toBe(counts.compiles.length)
    // the epoch event holds the parameters after step 5, the last epoch the run completed
    expect(ofType(events, 'epoch')[0]!.steps).toBe(5)
  })

  it('a signal already aborted starts nothing and completes at once', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const events = await run({ model: linearModel, backend, data, params: linearInit, optimizer: sgd({ lr: 0.01 }), epochs: 5, signal: AbortSignal.abort() })
    expect(events).toEqual([])
    expect(counts.compiles).toEqual([])
    expect(counts.runs).toBe(0)
  })

  it('unsubscribing aborts the run\'s signal too: a later abort of the caller\'s signal changes nothing', async () => {
    const { backend, counts } = countingBackend(cpuBackend())
    const controller = new AbortController()
    const seen: TrainEvent[] = []
    await new Promise<void>((resolve) => {
      const subscription = train({ model: linearModel, backend, data, params: linearInit, optimizer: sgd({ lr: 0.01 }), epochs: 50, batchSize: 1, yieldEveryMs: 0, signal: controller.signal }).subscribe((e) => {
        seen.push(e)
        if (e.type === 'step' && e.step === 3) {
          subscription.unsubscribe()
          resolve()
        }
      })
    })
    await counts.allDisposed()
    controller.abort()
    await turns(10)
    expect(seen).toHaveLength(3)
    expect(counts.runs).toBe(3)
  })

  it('lets the event loop run callbacks while it trains', async () => {
    const seen: TrainEvent[] = []
    let stepsWhenCalled = -1
    const finished = new Promise<void>((resolve) =>
      train({ model: linearModel, backend: cpuBackend(), data, params: linearInit, optimizer: sgd({ lr: 0.01 }), epochs: 2, batchSize: 1, yieldEveryMs: 0 }).subscribe({
        next: (e) => seen.push(e),
        complete: resolve,
      }),
    )
    // The CPU backend resolves at once, so without yielding the whole run would
    // be one chain of microtasks and this callback would wait for its end.
    setImmediate(() => (stepsWhenCalled = ofType(seen, 'step').length))
    await finished
    expect(ofType(seen, 'step')).toHaveLength(200)
    expect(stepsWhenCalled).toBeGreaterThanOrEqual(0)
    expect(stepsWhenCalled).toBeLessThan(200)
  })
})

describe('train: failures end the run with an error event', () => {
  const one: Dataset = { name: 'one', size: 1, features: 1, targets: 1, x: Float64Array.of(1), t: Float64Array.of(0) }
  const w1: Params = { w: { shape: [], dtype: 'f64', data: Float64Array.of(1) } }

  it('a NaN loss names the step and the last good checkpoint, and keeps the last good parameters', async () => {
    // loss log(w): step 1 at w = 1 has loss 0 and gradient 1, so sgd at lr 2 moves w to -1; step 2's loss is log(-1) = NaN
    const path = join(dir, 'ck.json')
    const events = await run({ model: logModel, backend: cpuBackend(), data: one, params: w1, optimizer: sgd({ lr: 2 }), epochs: 5, batchSize: 1, checkpoint: { path } })
    expect(events.map((e) => e.type)).toEqual(['step', 'epoch', 'error'])
    expect((events[0] as StepEvent).loss).toBe(0)
    expect((events[1] as EpochEvent).checkpoint).toBe(path)
    const error = events[2] as TrainErrorEvent
    expect(error).toEqual({
      type: 'error',
      message: `step 2 (epoch 2): the loss is NaN; the parameters are kept from step 1; the last good checkpoint is ${path}`,
      step: 2,
      epoch: 2,
      checkpoint: path,
    })
    expect(Array.from(eventParams(error)!['w']!.data)).toEqual([-1])
    const saved = loadParams(path)
    expect(E.isRight(saved) && Array.from(saved.right['w']!.data)).toEqual([-1])
  })

  it('says when no checkpoint has been written', async () => {
    const events = await run({ model: logModel, backend: cpuBackend(), data: one, params: w1, optimizer: sgd({ lr: 2 }), epochs: 5, batchSize: 1 })
    const error = events[events.length - 1] as TrainErrorEvent
    expect(error.checkpoint).toBeNull()
    expect(error.message).toMatch(/no checkpoint has been written$/)
  })

  it('an update that overflows the parameters is refused, keeping the previous ones', async () => {
    // targets in the thousands make every gradient entry far larger than 2 in size, so lr * g overflows
    const base = linearData(8, 1)
    const data = { ...base, t: base.t.map((v) => 1000 * v + 5000) }
    const events = await run({ model: linearModel, backend: cpuBackend(), data, params: linearInit, optimizer: sgd({ lr: Number.MAX_VALUE }), epochs: 3, batchSize: 8 })
    expect(events.map((e) => e.type)).toEqual(['error'])
    const error = events[0] as TrainErrorEvent
    expect(error.step).toBe(1)
    expect(error.message).toMatch(/^step 1 \(epoch 1\): the update made '(W1|b1)' non-finite .*; the initial parameters are kept; no checkpoint has been written$/)
    expect(eventParams(error)).toEqual(linearInit)
  })

  it('a gradient that is not finite is caught before the update', async () => {
    // loss sqrt(w) at w = 0 is finite (0), its gradient 1/(2 sqrt 0) is infinite
    const zero: Params = { w: { shape: [], dtype: 'f64', data: Float64Array.of(0) } }
    const events = await run({ model: sqrtModel, backend: cpuBackend(), data: one, params: zero, optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 1 })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'error', step: 1, epoch: 1 })
    expect((events[0] as TrainErrorEvent).message).toMatch(/^step 1 \(epoch 1\): the gradient of 'w' is Infinity at element 0; the initial parameters are kept/)
  })

  it('a checkpoint that cannot be written ends the run, keeping the parameters', async () => {
    const path = join(dir, 'ck.json')
    const io = { ...nodeIo, rename: () => Promise.reject(new Error('read-only file system')) }
    const events = await run({ model: linearModel, backend: cpuBackend(), data: linearData(8, 1), params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 3, batchSize: 4, checkpoint: { path, io } })
    expect(events.map((e) => e.type)).toEqual(['step', 'step', 'error'])
    expect(events[2]).toEqual({
      type: 'error',
      message: `epoch 1: ${path}: cannot write the checkpoint: read-only file system; the parameters are kept from step 2; no checkpoint has been written`,
      step: null,
      epoch: 1,
      checkpoint: null,
    })
    expect(Object.keys(eventParams(events[2]!)!)).toEqual(['W1', 'b1'])
  })

  it('a backend failure names the step', async () => {
    const inner = cpuBackend()
    let runs = 0
    const failing: Backend = {
      name: 'flaky',
      compile: (graph, outputs, options) =>
        E.map((exec: Executable) => ({
          ...exec,
          run: (feeds: Feeds) =>
            ++runs === 3 ? Promise.resolve(E.left({ _tag: 'Internal' as const, message: 'internal error: out of cheese' })) : exec.run(feeds),
        }))(inner.compile(graph, outputs, options)),
    }
    const events = await run({ model: linearModel, backend: failing, data: linearData(8, 1), params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 2, batchSize: 2 })
    expect(events.map((e) => e.type)).toEqual(['step', 'step', 'error'])
    expect(events[2]).toMatchObject({ step: 3, epoch: 1 })
    expect((events[2] as TrainErrorEvent).message).toMatch(/^step 3 \(epoch 1\): the flaky backend failed: internal error: out of cheese; the parameters are kept from step 2/)
  })

  it.each([
    ['missing parameters', { params: { W1: linearInit['W1']! } }, /parameter 'b1' \(\[1\] f64\) has no value/],
    ['a parameter of the wrong shape', { params: { ...linearInit, b1: { shape: [2], dtype: 'f64', data: Float64Array.of(0, 0) } } }, /parameter 'b1' has shape \[2\] but the model expects \[1\]/],
    ['an unknown parameter', { params: { ...linearInit, V: linearInit['b1']! } }, /parameter 'V' is not a parameter of the model/],
    ['zero epochs', { epochs: 0 }, /epochs must be a positive integer, got 0/],
    ['a fractional batch size', { batchSize: 2.5 }, /batch size must be a positive integer, got 2.5/],
    ['data the model does not fit', { data: { ...linearData(4, 1), features: 1, x: new Float64Array(4) } }, /input 'x' has shape \[4,2\], but 4 samples of 1 features make \[4,1\]/],
    ['a model that fails to build', { model: () => E.left({ message: 'layered: bad spec' }) }, /cannot build the model for batch 4: layered: bad spec/],
  ])('%s is reported as an error event before any step', async (_what, override, message) => {
    const events = await run({ model: linearModel, backend: cpuBackend(), data: linearData(4, 1), params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 4, ...override } as TrainOptions)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'error', step: null, epoch: null, checkpoint: null })
    expect((events[0] as TrainErrorEvent).message).toMatch(message)
  })

  it('a non-scalar loss is refused', async () => {
    const vectorLoss: Model = (batch) =>
      E.map((net: Network) => ({ graph: net.graph, loss: net.outputs }))(layered({ sizes: [2, 1], activations: ['linear'], loss: 'sse', batch }))
    const events = await run({ model: vectorLoss, backend: cpuBackend(), data: linearData(4, 1), params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 1, batchSize: 4 })
    expect((events[0] as TrainErrorEvent).message).toMatch(/the loss must be a scalar, but it has shape \[4,1\]/)
  })
})

describe('train: reproducible, convergent, checkpointed, stopping early', () => {
  const data = linearData(20, 5)
  const test = linearData(7, 6)
  const tanhNet = (dtype: 'f32' | 'f64'): Model => (batch) =>
    layered({ sizes: [2, 4, 1], activations: ['tanh', 'linear'], loss: 'sse', reduction: 'mean', batch, dtype })
  const init = (dtype: 'f32' | 'f64'): Params =>
    E.getOrElseW(() => ({}))(initParams({ sizes: [2, 4, 1], activations: ['tanh', 'linear'], dtype }, { seed: 21 }))
  const losses = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.loss] : e.type === 'epoch' ? [e.trainLoss, e.testLoss!] : []))
  const bytes = (p: Params) => Object.entries(p).map(([name, t]) => [name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')])

  it.each(['f64', 'f32'] as const)('the same seed gives the same run bit for bit on the cpu backend (%s)', async (dtype) => {
    const options = (seed: number): TrainOptions => ({ model: tanhNet(dtype), backend: cpuBackend(), data, test, params: init(dtype), optimizer: adam({ lr: 0.05 }), epochs: 3, batchSize: 3, seed })
    const a = await run(options(11))
    const b = await run(options(11))
    const c = await run(options(12))
    expect(losses(a)).toHaveLength(3 * 7 + 6)
    expect(losses(b).every((l, i) => Object.is(l, losses(a)[i]))).toBe(true)
    const final = (events: TrainEvent[]) => eventParams(events[events.length - 1]!)!
    expect(final(a)['W1']!.data).toBeInstanceOf(dtype === 'f32' ? Float32Array : Float64Array)
    expect(bytes(final(b))).toEqual(bytes(final(a)))
    // another seed shuffles differently, so the losses differ
    expect(losses(c).slice(0, 7)).not.toEqual(losses(a).slice(0, 7))
  })

  it('batch gradient descent solves linear regression', async () => {
    const events = await run({ model: linearModel, backend: cpuBackend(), data: linearData(50, 8), params: linearInit, optimizer: gd({ lr: 0.5 }), epochs: 300, stepEvery: 0 })
    const done = events[events.length - 1] as DoneEvent
    expect(done.steps).toBe(300)
    const p = eventParams(done)!
    // the data were made with t = 2 x1 - 3 x2 + 0.5
    expect(p['W1']!.data[0]).toBeCloseTo(2, 6)
    expect(p['W1']!.data[1]).toBeCloseTo(-3, 6)
    expect(p['b1']!.data[0]).toBeCloseTo(0.5, 6)
    expect(done.trainLoss).toBeLessThan(1e-10)
  })

  it('stochastic gradient descent with batch size 1 takes one step per sample', async () => {
    const events = await run({ model: linearModel, backend: cpuBackend(), data, params: linearInit, optimizer: sgd({ lr: 0.05 }), epochs: 30, batchSize: 1, stepEvery: 0 })
    const epochs = ofType(events, 'epoch')
    expect(epochs.map((e) => e.steps).slice(0, 3)).toEqual([20, 40, 60])
    expect(epochs[29]!.trainLoss).toBeLessThan(1e-3 * epochs[0]!.trainLoss)
  })

  it('writes checkpoints every n epochs and after the last one', async () => {
    const path = join(dir, 'ck.json')
    const events = await run({ model: linearModel, backend: cpuBackend(), data, params: linearInit, optimizer: sgd({ lr: 0.1 }), epochs: 5, batchSize: 5, checkpoint: { path, everyEpochs: 2 } })
    expect(ofType(events, 'epoch').map((e) => e.checkpoint)).toEqual([null, path, path, path, path])
    const done = events[events.length - 1] as DoneEvent
    expect(done.checkpoint).toBe(path)
    expect(loadParams(path)).toEqual(E.right(eventParams(done)))
  })

  it('stops early when the test loss stops improving', async () => {
    // the test targets are the negated training targets, so the better the fit, the worse the test loss
    const contrary = { ...test, t: test.t.map((v) => -v) }
    const path = join(dir, 'ck.json')
    const events = await run({ model: linearModel, backend: cpuBackend(), data, test: contrary, params: linearInit, optimizer: gd({ lr: 0.1 }), epochs: 50, earlyStopping: { patience: 2 }, checkpoint: { path } })
    expect(events.map((e) => e.type)).toEqual(['step', 'epoch', 'step', 'epoch', 'step', 'epoch', 'done'])
    const testLosses = ofType(events, 'epoch').map((e) => e.testLoss!)
    expect(testLosses[1]).toBeGreaterThan(testLosses[0]!)
    expect(testLosses[2]).toBeGreaterThan(testLosses[0]!)
    expect(events[6]).toMatchObject({ type: 'done', epochs: 3, steps: 3, stoppedEarly: true, checkpoint: path, testLoss: testLosses[2] })
    expect(loadParams(path)).toEqual(E.right(eventParams(events[6]!)))
  })
})

describe('evaluate', () => {
  it('computes the loss and the accuracy of given parameters', async () => {
    // y = softmax(x), so the predicted class is the larger feature
    const data: Dataset = {
      name: 'two',
      size: 4,
      features: 2,
      targets: 2,
      classes: ['a', 'b'],
      x: Float64Array.of(1, 0, 0, 1, 1, 0, 0.2, 0.9),
      t: Float64Array.of(1, 0, 0, 1, 0, 1, 0, 1),
    }
    const params: Params = {
      W1: { shape: [2, 2], dtype: 'f64', data: Float64Array.of(1, 0, 0, 1) },
      b1: { shape: [2], dtype: 'f64', data: Float64Array.of(0, 0) },
    }
    const model: Model = (batch) => layered({ sizes: [2, 2], activations: ['softmax'], loss: 'softmax-cross-entropy', batch })
    const result = await evaluateModel({ model, backend: cpuBackend(), data, params })
    expect(E.isRight(result)).toBe(true)
    const { loss, accuracy } = (result as E.Right<{ loss: number; accuracy: number | null }>).right
    expect(accuracy).toBe(0.75)
    // -sum log softmax: rows 1 and 2 (and 3 on the wrong side) have logits 1 and 0, row 4 has 0.2 and 0.9
    const lse10 = Math.log(Math.exp(1) + 1)
    const expected = 3 * lse10 - 1 - 1 - 0 + (Math.log(Math.exp(0.2) + Math.exp(0.9)) - 0.9)
    expect(loss).toBeCloseTo(expected, 12)
  })
})
