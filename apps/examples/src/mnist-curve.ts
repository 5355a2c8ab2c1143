// A short MNIST run that streams its loss curve: a 784-64-10 network
// (logsig hidden units, softmax outputs with the cross-entropy error, whose
// output delta is the lecture's y - t) trained by mini-batch SGD on a few
// thousand digits, reporting every step's loss as it happens.
import { cpuBackend } from '@backprop/backend-cpu'
import { loadMnist, MNIST_PIXELS } from '@backprop/data'
import { type Activation, initParams, layered, type Loss } from '@backprop/nn'
import { sgd, type StepEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { type ExampleError, exampleError } from './errors.js'
import { trainToEnd } from './training.js'

/**
 * Options of {@link mnistCurve}; every field has a default.
 *
 * @category MNIST
 */
export interface MnistCurveOptions {
  /** Training digits (default 2000). */
  readonly trainSize?: number
  /** Test digits, disjoint from the training ones (default 500). */
  readonly testSize?: number
  /** Epochs (default 2). */
  readonly epochs?: number
  /** Hidden logsig units (default 64). */
  readonly hidden?: number
  /** Samples per SGD step (default 32). */
  readonly batchSize?: number
  /** SGD learning rate on the mean loss of a batch (default 1). */
  readonly lr?: number
  /** Seed of the train/test split, the initial weights and the batch order (default 1). */
  readonly seed?: number
}

/**
 * The curve so far, handed to the `onStep` callback of {@link mnistCurve}
 * after every step.
 *
 * @category MNIST
 */
export interface MnistProgress {
  /** The step just taken, from 1. */
  readonly step: number
  /** Its epoch, from 1. */
  readonly epoch: number
  /** Steps the whole run will take. */
  readonly totalSteps: number
  /** The loss of every step so far (mean cross-entropy of its batch, before the update). */
  readonly curve: readonly number[]
}

/**
 * One epoch's figures.
 *
 * @category MNIST
 */
export interface MnistEpoch {
  /** The epoch, from 1. */
  readonly epoch: number
  /** Mean of the epoch's batch losses. */
  readonly trainLoss: number
  /** Mean cross-entropy on the test digits after the epoch. */
  readonly testLoss: number
  /** Fraction of test digits classified correctly after the epoch. */
  readonly testAccuracy: number
}

/**
 * The results of {@link mnistCurve}.
 *
 * @category MNIST
 */
export interface MnistCurveResult {
  /** The layer sizes, `[784, hidden, 10]`. */
  readonly layers: readonly number[]
  /** Training digits used. */
  readonly trainSize: number
  /** Test digits used. */
  readonly testSize: number
  /** The loss curve: every step's batch loss, step 1 first. */
  readonly curve: readonly number[]
  /** Figures after each epoch. */
  readonly epochs: readonly MnistEpoch[]
  /** Fraction of test digits classified correctly at the end. */
  readonly testAccuracy: number
  /** Samples per step. */
  readonly batchSize: number
  /** The SGD learning rate. */
  readonly lr: number
}

const NAME = 'mnist-curve'
const ACTIVATIONS: readonly Activation[] = ['logsig', 'softmax']
const LOSS: Loss = 'softmax-cross-entropy'

/**
 * Trains a `784-hidden-10` network on MNIST digits (from the `mnist`
 * package) and streams the loss curve: `onStep` is called after every step
 * with the curve so far, while the run goes on. Resolves with the whole
 * curve and the test accuracy.
 *
 * @example
 * ```ts
 * const result = await mnistCurve({ trainSize: 2000 }, (p) => console.log(p.step, p.curve.at(-1)))
 * ```
 * @category MNIST
 */
export const mnistCurve = async (
  options: MnistCurveOptions = {},
  onStep?: (progress: MnistProgress) => void,
): Promise<E.Either<ExampleError, MnistCurveResult>> => {
  const trainSize = options.trainSize ?? 2000
  const testSize = options.testSize ?? 500
  const epochs = options.epochs ?? 2
  const hidden = options.hidden ?? 64
  const batchSize = options.batchSize ?? 32
  const seed = options.seed ?? 1
  const lr = options.lr ?? 1
  const split = loadMnist({ trainSize, testSize, seed })
  if (E.isLeft(split)) return E.left(exampleError(NAME, split.left.message))
  if (!(Number.isInteger(hidden) && hidden >= 1)) {
    return E.left(exampleError(NAME, `hidden must be a positive integer, got ${hidden}`))
  }
  const sizes = [MNIST_PIXELS, hidden, 10]
  const params = initParams({ sizes, activations: ACTIVATIONS }, { seed })
  if (E.isLeft(params)) return E.left(exampleError(NAME, params.left.message))
  const totalSteps = epochs * Math.ceil(trainSize / batchSize)
  const curve: number[] = []
  const trained = await trainToEnd(
    NAME,
    {
      model: (batch) => layered({ sizes, activations: ACTIVATIONS, loss: LOSS, reduction: 'mean', batch }),
      backend: cpuBackend(),
      data: split.right.train,
      test: split.right.test,
      params: params.right,
      optimizer: sgd({ lr }),
      epochs,
      batchSize,
      seed,
    },
    (e: StepEvent) => {
      curve.push(e.loss)
      onStep?.({ step: e.step, epoch: e.epoch, totalSteps, curve })
    },
  )
  if (E.isLeft(trained)) return trained
  return E.right({
    layers: sizes,
    trainSize,
    testSize,
    curve: [...curve],
    epochs: trained.right.epochs.map((e) => ({
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      testLoss: e.testLoss!,
      testAccuracy: e.testAccuracy!,
    })),
    testAccuracy: trained.right.done.testAccuracy!,
    batchSize,
    lr,
  })
}
