import type { Backend } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import { type Dataset, epochOrder } from '@backprop/data'
import { initParams, layered } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadParams } from './checkpoint.js'
import { type DoneEvent, type EpochEvent, eventParams, type StepEvent, type TrainErrorEvent, type TrainEvent } from './events.js'
import type { Model } from './model.js'
import type { Optimizer } from './optimizer.js'
import { adam } from './optimizers/adam.js'
import { momentum } from './optimizers/momentum.js'
import { gd, sgd } from './optimizers/sgd.js'
import type { TrainOptions } from './options.js'
import { cloneParams, type Params } from './params.js'
import { train } from './train.js'
import { countingBackend, linearData, logModel, turns, xorData } from './testing/fixtures.js'

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
    const updates: Params[] = []
    const inner = sgd({ lr: 0.1 })
    const spy: Optimizer<null> = {
      ...inner,
      step: (state, params, grads, info) => {
        const next = inner.step(state, params, grads, info)
        updates.push(next.params)
        return next
      },
    }
    const events = await run({ model: linearModel, backend: cpuBackend(), data, test, params: linearInit, optimizer: spy, epochs: 2, batchSize: 4, seed: 7 })
    const steps = ofType(events, 'step')
    const before = [linearInit, ...updates]
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
    expect(p).toBe(updates[2])
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
    const { backend, counts } = countingBackend(cpuBackend())
    const updates: Params[] = []
    const inner = sgd({ lr: 0.01 })
    const spy: Optimizer<null> = {
      ...inner,
      step: (state, params, grads, info) => {
        const next = inner.step(state, params, grads, info)
        updates.push(next.params)
        return next
      },
    }
    const seen: TrainEvent[] = []
    let snapshot: Params | undefined
    await new Promise<void>((resolve) => {
      const subscription = train({ model: linearModel, backend, data, params: linearInit, optimizer: spy, epochs: 50, batchSize: 1, yieldEveryMs: 0 }).subscribe({
        next: (e) => {
          seen.push(e)
          if (e.type === 'step' && e.step === 5) {
            snapshot = cloneParams(updates[4]!)
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
    expect(updates).toHaveLength(5)
    expect(counts.disposes).toBe(counts.compiles.length)
    const last = updates[4]!
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
