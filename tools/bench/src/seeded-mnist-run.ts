// The seeded MNIST run that the watchers and layer-stats sections time: a
// layered spec trained with SGD (lr 0.1, batch 64, seed 1) on the cpu
// backend. Loading the digits and initialising happen here, before a caller
// starts its clock; every call of the returned function is the same run.
import { cpuBackend } from '@backprop/backend-cpu'
import { loadMnist } from '@backprop/data'
import { initParams, layered, type LayeredSpec } from '@backprop/nn'
import { sgd, train, type TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import type { Observable } from 'rxjs'

/** What varies between the sections' runs. */
export interface SeededMnistOptions {
  readonly trainSize: number
  /** Test digits; the rest of the bundled set when left out. */
  readonly testSize?: number
  readonly epochs: number
  readonly layerStats?: boolean
}

/** Loads and initialises once; the returned function starts a fresh, identical run each call. */
export const seededMnistRun = (
  spec: Omit<LayeredSpec, 'batch'>,
  { trainSize, testSize, epochs, layerStats = false }: SeededMnistOptions,
): (() => Observable<TrainEvent>) => {
  const split = loadMnist({ trainSize, ...(testSize === undefined ? {} : { testSize }), seed: 1 })
  const params = initParams(spec, { seed: 1, scheme: 'auto' })
  if (E.isLeft(split) || E.isLeft(params)) throw new Error('cannot load MNIST')
  return () =>
    train({
      model: (batch) => layered({ ...spec, batch }),
      backend: cpuBackend(),
      data: split.right.train,
      test: split.right.test,
      params: params.right,
      optimizer: sgd({ lr: 0.1 }),
      epochs,
      batchSize: 64,
      seed: 1,
      layerStats,
    })
}
