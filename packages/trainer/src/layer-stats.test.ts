import { cpuBackend } from '@backprop/backend-cpu'
import { type Dataset, rng } from '@backprop/data'
import { deltaRule, initParams, layered, layersOf } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { EpochEvent, TrainEvent } from './events.js'
import type { Model } from './model.js'
import { momentum } from './optimizers/momentum.js'
import { gd, sgd } from './optimizers/sgd.js'
import type { Params } from './params.js'
import { train } from './train.js'
import { countingBackend } from './testing/fixtures.js'

const spec = { sizes: [3, 5, 4, 2], activations: ['tanh', 'logsig', 'softmax'], loss: 'softmax-cross-entropy' } as const
const model: Model = (batch) => layered({ ...spec, batch, reduction: 'sum' })

const data = (n: number): Dataset => {
  const next = rng(4)
  const x = Float64Array.from({ length: 3 * n }, () => 2 * next() - 1)
  const t = new Float64Array(2 * n)
  for (let i = 0; i < n; i++) t[2 * i + (x[3 * i]! + x[3 * i + 1]! > 0 ? 1 : 0)] = 1
  return { name: 'toy', size: n, features: 3, targets: 2, x, t }
}

const params = (): Params => {
  const p = initParams(spec, { seed: 2 })
  if (E.isLeft(p)) throw new Error(p.left.message)
  return p.right as Params
}

const epochs = async (options: Partial<Parameters<typeof train>[0]>): Promise<EpochEvent[]> => {
  const events: TrainEvent[] = await lastValueFrom(
    train({ model, backend: cpuBackend(), data: data(24), params: params(), optimizer: gd({ lr: 0 }), epochs: 2, ...options }).pipe(toArray()),
  )
  const error = events.find((e) => e.type === 'error')
  if (error) throw new Error(error.message)
  return events.filter((e): e is EpochEvent => e.type === 'epoch')
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0))

describe('per-layer statistics in epoch events', () => {
  it('are the RMS of the delta rule\'s deltas and the norms of its gradients and of the weights', async () => {
    // full-batch gd with lr 0: one step per epoch at the initial parameters, which the delta rule sees too
    const [first] = await epochs({ layerStats: true })
    const d = data(24)
    const reference = deltaRule({
      weights: layersOf(params(), 3)!,
      x: { shape: [24, 3], data: d.x },
      t: { shape: [24, 2], data: d.t },
      activations: spec.activations,
      loss: spec.loss,
    })
    if (E.isLeft(reference)) throw new Error(reference.left.message)
    const r = reference.right
    expect(first!.layers!.map((l) => l.layer)).toEqual([1, 2, 3])
    first!.layers!.forEach((l, i) => {
      const delta = r.deltas[i]!.data
      expect(l.deltaRms).toBeCloseTo(norm(delta) / Math.sqrt(delta.length), 12)
      expect(l.gradNorm).toBeCloseTo(norm(r.gradients[i]!.W.data), 12)
      expect(l.weightNorm).toBeCloseTo(norm(layersOf(params(), 3)![i]!.W.data), 12)
    })
  })

  it('are absent unless asked for, and leave the losses unchanged', async () => {
    const options = { optimizer: sgd({ lr: 0.1 }), batchSize: 8 }
    const plain = await epochs(options)
    const withStats = await epochs({ ...options, layerStats: true })
    expect(plain.every((e) => e.layers === undefined)).toBe(true)
    expect(withStats.map((e) => e.trainLoss)).toEqual(plain.map((e) => e.trainLoss))
    expect(withStats.every((e) => e.layers?.length === 3)).toBe(true)
  })

  it('are the same whether the backend holds the parameters or the trainer feeds them', async () => {
    const held = await epochs({ optimizer: momentum({ lr: 0.05, beta: 0.9 }), batchSize: 6, layerStats: true })
    const fed = await epochs({ optimizer: momentum({ lr: 0.05, beta: 0.9 }), batchSize: 6, layerStats: true, backend: countingBackend(cpuBackend(), false).backend })
    expect(held.map((e) => e.layers)).toEqual(fed.map((e) => e.layers))
  })
})
