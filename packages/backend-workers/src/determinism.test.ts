import type { Backend, Tensor } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import type { DType } from '@backprop/graph'
import { type Activation, initParams, layered, type Loss, type Reduction } from '@backprop/nn'
import { type DoneEvent, eventParams, type Model, type Params, sgd, type TrainEvent, type TrainOptions, train } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { workersBackend } from './index.js'
import { maxRelativeError } from './testing/sharded.js'

/** 25 samples of 3 features and 3 one-hot classes, deterministic. */
const data: TrainOptions['data'] = (() => {
  const size = 25
  const x = Float64Array.from({ length: size * 3 }, (_, i) => Math.sin(i * 0.7) + 0.1 * Math.cos(i * 3.1))
  const t = new Float64Array(size * 3)
  for (let i = 0; i < size; i++) t[i * 3 + (x[i * 3]! + x[i * 3 + 1]! > 0 ? 0 : x[i * 3 + 2]! > 0 ? 1 : 2)] = 1
  return { name: 'toy', size, features: 3, targets: 3, x, t, classes: ['a', 'b', 'c'] }
})()

interface Net {
  readonly activations: Activation[]
  readonly loss: Loss
  readonly reduction: Reduction
  readonly dtype: DType
}

const model =
  ({ activations, loss, reduction, dtype }: Net): Model =>
  (batch) =>
    layered({ sizes: [3, 6, 3], activations, loss, reduction, batch, dtype })

const initial = ({ activations, dtype }: Net): Params => {
  const params = initParams({ sizes: [3, 6, 3], activations, dtype }, { seed: 5 })
  if (E.isLeft(params)) throw new Error(params.left.message)
  return params.right as Params
}

/** Trains 3 epochs of batches of 10 (the last of each epoch has 5), and returns the losses of every step and the final parameters. */
const trainOn = async (backend: Backend, net: Net): Promise<{ losses: number[]; params: Params }> => {
  const events: TrainEvent[] = await lastValueFrom(
    train({ model: model(net), backend, data, params: initial(net), optimizer: sgd({ lr: 0.05 }), epochs: 3, batchSize: 10, seed: 9 }).pipe(toArray()),
  )
  const done = events.at(-1)
  if (done?.type !== 'done') throw new Error(`the run did not finish: ${JSON.stringify(done)}`)
  return { losses: events.flatMap((e) => (e.type === 'step' ? [e.loss] : [])), params: eventParams(done as DoneEvent)! }
}

const tensors = (params: Params): Tensor[] => Object.keys(params).sort().map((k) => params[k]!)

const softmaxSum: Net = { activations: ['tanh', 'softmax'], loss: 'softmax-cross-entropy', reduction: 'sum', dtype: 'f64' }

describe('determinism', () => {
  it('trains in f64 with sum reduction to within 1e-12 of the cpu backend on 1, 2 and 4 workers', async () => {
    const nets: Net[] = [softmaxSum, { activations: ['relu', 'logsig'], loss: 'cross-entropy', reduction: 'sum', dtype: 'f64' }]
    for (const net of nets) {
      const cpu = await trainOn(cpuBackend(), net)
      expect(cpu.losses).toHaveLength(9)
      for (const workers of [1, 2, 4]) {
        const run = await trainOn(workersBackend({ workers, minFlops: 0 }), net)
        const label = `${net.loss}, ${workers} workers`
        expect(maxRelativeError([Float64Array.from(run.losses)].map((data) => ({ shape: [9], dtype: 'f64', data })), [
          { shape: [9], dtype: 'f64', data: Float64Array.from(cpu.losses) },
        ]), label).toBeLessThan(1e-12)
        expect(maxRelativeError(tensors(run.params), tensors(cpu.params)), label).toBeLessThan(1e-12)
      }
    }
  })

  it('gives identical losses and parameters, bit for bit, run after run for a given number of workers', async () => {
    const nets: Net[] = [softmaxSum, { activations: ['relu', 'softmax'], loss: 'softmax-cross-entropy', reduction: 'mean', dtype: 'f32' }]
    for (const net of nets) {
      for (const workers of [2, 3]) {
        const first = await trainOn(workersBackend({ workers, minFlops: 0 }), net)
        const second = await trainOn(workersBackend({ workers, minFlops: 0 }), net)
        expect(second.losses).toEqual(first.losses)
        expect(tensors(second.params)).toEqual(tensors(first.params))
      }
    }
  })

  it('stays within float32 precision of the cpu backend in f32, where the summation order shows', async () => {
    const net: Net = { ...softmaxSum, reduction: 'mean', dtype: 'f32' }
    const cpu = await trainOn(cpuBackend(), net)
    const two = await trainOn(workersBackend({ workers: 2, minFlops: 0 }), net)
    expect(maxRelativeError(tensors(two.params), tensors(cpu.params))).toBeLessThan(1e-5)
  })
})
