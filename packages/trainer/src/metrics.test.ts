import { cpuBackend } from '@backprop/backend-cpu'
import type { Dataset } from '@backprop/data'
import { BackpropError, buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { type DoneEvent, type EpochEvent, eventParams, jsonLine, type TrainEvent } from './events.js'
import type { Model } from './model.js'
import { gd } from './optimizers/sgd.js'
import type { TrainOptions } from './options.js'
import type { Params } from './params.js'
import { train } from './train.js'
import { countingBackend, linearData } from './testing/fixtures.js'

// y = x w (x [M, 2], w [2, 1]); E = mse + l2 with mse = mean((y - t)^2), l2 = 0.1 sum(w^2).
const lambda = 0.1
const ridge = (metrics: 'both' | 'none' | 'matrix'): Model => (batch) => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [batch, 2])
    const t = b.input('t', [batch, 1])
    const w = b.param('w', [2, 1])
    const mse = b.mean(b.square(b.sub(b.matmul(x, w), t)))
    const l2 = b.mul(b.scalar(lambda), b.sum(b.square(w)))
    return { loss: b.add(mse, l2), mse, l2, w }
  })
  const named: Record<string, number> | undefined = metrics === 'both' ? { mse: result.mse, l2: result.l2 } : metrics === 'matrix' ? { w: result.w } : undefined
  return E.right({ graph, loss: result.loss, ...(named ? { metrics: named } : {}) })
}

// The figures by hand, over all samples.
const figures = (ds: Dataset, p: Params) => {
  const [w1, w2] = p['w']!.data
  let sum = 0
  for (let i = 0; i < ds.size; i++) sum += (ds.x[2 * i]! * w1! + ds.x[2 * i + 1]! * w2! - ds.t[i]!) ** 2
  const mse = sum / ds.size
  const l2 = lambda * (w1! * w1! + w2! * w2!)
  return { mse, l2, loss: mse + l2 }
}

const data = linearData(12, 3, 'ridge')
const w0: Params = { w: { shape: [2, 1], dtype: 'f64', data: Float64Array.of(0.5, -0.25) } }
const base = { backend: cpuBackend(), data, params: w0, epochs: 3, stepEvery: 0 }
const run = (options: TrainOptions): Promise<TrainEvent[]> => lastValueFrom(train(options).pipe(toArray()))

const descent = gd({ lr: 0.2 })
// A backend that holds the parameters, and one that does not (the trainer feeds them).
const held = cpuBackend()
const fed = countingBackend(cpuBackend(), false).backend

describe('metrics: extra scalar nodes a model names', () => {
  it.each([['held', held], ['fed', fed]] as const)('are reported per epoch, before each update like trainLoss (%s parameters)', async (_, backend) => {
    const events = await run({ ...base, backend, model: ridge('both'), optimizer: descent })
    const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch')
    expect(epochs).toHaveLength(3)
    // Full batch: one step per epoch, so an epoch's figures are those at the parameters before it.
    let before = w0
    for (const e of epochs) {
      const expected = figures(data, before)
      expect(Object.keys(e.metrics!)).toEqual(['mse', 'l2'])
      expect(e.metrics!.mse).toBeCloseTo(expected.mse, 12)
      expect(e.metrics!.l2).toBeCloseTo(expected.l2, 12)
      expect(e.trainLoss).toBeCloseTo(expected.loss, 12)
      before = eventParams(e)!
    }
    const done = events.at(-1) as DoneEvent
    expect(done.metrics).toEqual(epochs[2]!.metrics)
    expect(jsonLine(epochs[0])).toContain(`"metrics":{"mse":${epochs[0]!.metrics!.mse},"l2":`)
  })

  it('are absent from events of a model that names none', async () => {
    const events = await run({ ...base, model: ridge('none'), optimizer: descent })
    expect(events.every((e) => !('metrics' in e))).toBe(true)
  })

  it('must be scalars', async () => {
    const events = await run({ ...base, model: ridge('matrix'), optimizer: descent })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'error', message: "the model's graph for batch 12: metric 'w' must be a scalar, but it has shape [2,1]" })
  })
})

describe('endings', () => {
  it('finalTrainLoss evaluates the loss and metrics at the final parameters', async () => {
    const events = await run({ ...base, model: ridge('both'), optimizer: descent, finalTrainLoss: true })
    const done = events.at(-1) as DoneEvent
    const at = figures(data, eventParams(done)!)
    expect(done.finalTrainLoss).toBeCloseTo(at.loss, 12)
    expect(done.finalMetrics!.mse).toBeCloseTo(at.mse, 12)
    expect(done.finalTrainLoss).toBeLessThan(done.trainLoss) // the last epoch's figure is from before its update
    const plain = (await run({ ...base, model: ridge('none'), optimizer: descent })).at(-1) as DoneEvent
    expect('finalTrainLoss' in plain).toBe(false)
  })

  it("failures: 'error' delivers a failed run on the error channel, with the event's message", async () => {
    const diverging = { ...base, model: ridge('none'), optimizer: gd({ lr: 1e6 }), epochs: 50 }
    const events = await run(diverging)
    const failed = events.at(-1)!
    expect(failed.type).toBe('error')
    const error: unknown = await lastValueFrom(train({ ...diverging, failures: 'error' })).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(BackpropError)
    const { message, event } = (error as BackpropError<{ _tag: string; message: string; event: TrainEvent }>).error
    expect(message).toBe(failed.type === 'error' ? failed.message : '')
    expect(event).toEqual(failed)
    expect(eventParams(event)).toEqual(eventParams(failed))
  })
})
