// The lecture's first example: a single linear neuron y = w^T x with the
// error E = 1/2 sum_m (y^(m) - t^(m))^2, trained by batch GD and by
// stochastic GD (batch size 1) on the same data. Both must end at the
// least-squares solution of the normal equations, X^T X w* = X^T t.
import { cpuBackend } from '@backprop/backend-cpu'
import { type Dataset, rng } from '@backprop/data'
import { gd, type LearningRate, sgd } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { type ExampleError, exampleError } from './errors.js'
import { leastSquares, linearError } from './least-squares.js'
import { neuronParams, singleNeuron } from './neuron.js'
import { paramValues, type TrainedRun, trainToEnd } from './training.js'

/**
 * Options of {@link linearRegression}; every field has a default.
 *
 * @category Linear regression
 */
export interface LinearRegressionOptions {
  /** Number of samples M (default 50). */
  readonly samples?: number
  /**
   * The weights the data are generated with, bias first: `t = w0 + w1 x1 + ... + noise`
   * (default `[0.5, 2, -3]`, so D = 2 inputs plus the bias input).
   */
  readonly trueWeights?: readonly number[]
  /** Standard deviation of the Gaussian noise added to the targets (default 0.2). */
  readonly noise?: number
  /** Seed of the data (default 1). */
  readonly seed?: number
  /** Epochs of batch GD, one step each (default 200). */
  readonly gdEpochs?: number
  /** Learning rate of batch GD (default 0.01). */
  readonly gdLr?: number
  /** Epochs of stochastic GD, M steps each (default 500). */
  readonly sgdEpochs?: number
  /** Learning rate of stochastic GD in epoch 1; epoch e uses `sgdLr / e` (default 0.2). */
  readonly sgdLr?: number
}

/**
 * One optimiser's run on the regression data.
 *
 * @category Linear regression
 */
export interface NeuronRun {
  /** `gd` or `sgd`. */
  readonly optimizer: string
  /** The learning rate, in words, e.g. `0.01` or `0.2 / epoch`. */
  readonly learningRate: string
  /** Optimiser steps taken. */
  readonly steps: number
  /** The loss curve: E(w) over all M samples after each epoch, epoch 1 first. */
  readonly curve: readonly number[]
  /** The trainer's per-step losses (E of each step's batch before its update). */
  readonly stepLosses: readonly number[]
  /** The final weights, bias first. */
  readonly w: readonly number[]
}

/**
 * The results of {@link linearRegression}.
 *
 * @category Linear regression
 */
export interface LinearRegressionResult {
  /** The generated samples; the first input of every sample is the constant 1 (bias). */
  readonly data: Dataset
  /** The weights the data were generated with. */
  readonly trueWeights: readonly number[]
  /** The least-squares weights w* from the normal equations. */
  readonly leastSquares: readonly number[]
  /** E(w*), the smallest error any weights reach on these data. */
  readonly minimumError: number
  /** E at the initial weights (all zero). */
  readonly initialError: number
  /** Batch gradient descent. */
  readonly gd: NeuronRun
  /** Stochastic gradient descent, batch size 1. */
  readonly sgd: NeuronRun
  /** The largest |w_i - w*_i| over both runs' final weights. */
  readonly maxDifference: number
}

const NAME = 'linear-regression'

/**
 * M samples `[1, x1, ..., xD]` with each x_i uniform in [-1, 1] and targets
 * `t = w^T x + noise * n`, n standard normal (Box-Muller), from `seed`.
 *
 * @category Linear regression
 */
export const regressionData = (samples: number, trueWeights: readonly number[], noise: number, seed: number): Dataset => {
  const next = rng(seed)
  const D = trueWeights.length
  const x = new Float64Array(samples * D)
  const t = new Float64Array(samples)
  for (let m = 0; m < samples; m++) {
    let y = 0
    for (let i = 0; i < D; i++) {
      const v = i === 0 ? 1 : 2 * next() - 1
      x[m * D + i] = v
      y += trueWeights[i]! * v
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const gauss = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
    t[m] = y + noise * gauss
  }
  return { name: 'regression', size: samples, features: D, targets: 1, x, t }
}

const maxAbsDifference = (a: readonly number[], b: readonly number[]): number =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))

/**
 * Trains the lecture's single linear neuron on synthetic data, once by batch
 * GD and once by stochastic GD, with the general trainer on a hand-built
 * graph ({@link singleNeuron}), and compares both final weight vectors with
 * the least-squares solution of the normal equations. Batch GD follows the
 * gradient of E over all M samples with a constant rate; stochastic GD takes
 * one sample per step, and its rate decays as `sgdLr / epoch` so that the
 * updates' sample-to-sample noise dies out and it settles at w* as well.
 *
 * @example
 * ```ts
 * const result = await linearRegression()
 * if (E.isRight(result)) console.log(result.right.gd.w, result.right.leastSquares)
 * ```
 * @category Linear regression
 */
export const linearRegression = async (
  options: LinearRegressionOptions = {},
): Promise<E.Either<ExampleError, LinearRegressionResult>> => {
  const samples = options.samples ?? 50
  const trueWeights = options.trueWeights ?? [0.5, 2, -3]
  const D = trueWeights.length
  const noise = options.noise ?? 0.2
  if (D < 1 || !Number.isInteger(samples) || samples < D) {
    return E.left(exampleError(NAME, `need at least as many samples as weights, got ${samples} samples and ${D} weights`))
  }
  const data = regressionData(samples, trueWeights, noise, options.seed ?? 1)
  const wStar = leastSquares(data.x, data.t, samples, D)
  if (wStar === undefined) {
    return E.left(exampleError(NAME, `X^T X is singular: ${samples} samples do not determine ${D} weights`))
  }
  const w0 = new Array<number>(D).fill(0)
  const model = singleNeuron(D, 'linear')
  const backend = cpuBackend()

  const runWith = async (
    optimizer: 'gd' | 'sgd',
    lr: LearningRate,
    learningRate: string,
    epochs: number,
  ): Promise<E.Either<ExampleError, NeuronRun>> => {
    const trained = await trainToEnd(NAME, {
      model,
      backend,
      data,
      params: neuronParams(w0),
      optimizer: optimizer === 'gd' ? gd({ lr }) : sgd({ lr }),
      epochs,
      // One sample per step: the lecture's stochastic GD. `gd` ignores it and takes all M at once.
      batchSize: 1,
      // Seed of the order in which each epoch visits the samples.
      seed: 7,
    })
    return E.map((run: TrainedRun) => ({
      optimizer,
      learningRate,
      steps: run.done.steps,
      curve: run.epochParams.map((p) => linearError(data.x, data.t, paramValues(p, 'w'))),
      stepLosses: run.stepLosses,
      w: paramValues(run.params, 'w'),
    }))(trained)
  }

  const gdLr = options.gdLr ?? 0.01
  const gdRun = await runWith('gd', gdLr, String(gdLr), options.gdEpochs ?? 200)
  if (E.isLeft(gdRun)) return gdRun
  const sgdLr = options.sgdLr ?? 0.2
  const sgdRun = await runWith('sgd', (_step, epoch) => sgdLr / epoch, `${sgdLr} / epoch`, options.sgdEpochs ?? 500)
  if (E.isLeft(sgdRun)) return sgdRun
  return E.right({
    data,
    trueWeights,
    leastSquares: wStar,
    minimumError: linearError(data.x, data.t, wStar),
    initialError: linearError(data.x, data.t, w0),
    gd: gdRun.right,
    sgd: sgdRun.right,
    maxDifference: Math.max(maxAbsDifference(gdRun.right.w, wStar), maxAbsDifference(sgdRun.right.w, wStar)),
  })
}
