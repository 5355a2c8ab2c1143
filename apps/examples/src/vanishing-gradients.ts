// Vanishing gradients, seen through the lecture's deltas: the same deep
// layered network, once with logsig hidden units and once with relu, trained
// with per-layer statistics on. delta_l = h'(a_l) ⊙ W_{l+1}^T delta_{l+1}
// multiplies by h' at every layer on the way down; logsig' is at most 1/4,
// so a logsig net's deltas shrink layer by layer towards the inputs, while
// relu' is 1 wherever a unit is active and its deltas keep their size.
import { cpuBackend } from '@backprop/backend-cpu'
import { loadIris } from '@backprop/data'
import { type Activation, initParams, layered } from '@backprop/nn'
import { type LayerStats, sgd } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { type ExampleError, exampleError } from './errors.js'
import { trainToEnd } from './training.js'

/**
 * Options of {@link vanishingGradients}; every field has a default.
 *
 * @category Vanishing gradients
 */
export interface VanishingGradientsOptions {
  /** Hidden layers (default 6), each of `width` units. */
  readonly depth?: number
  /** Units per hidden layer (default 16). */
  readonly width?: number
  /** Epochs of SGD (default 3). */
  readonly epochs?: number
  /** Seed of the initial weights and of the data split (default 1). */
  readonly seed?: number
}

/**
 * One of the two runs: its hidden activation and the per-layer figures of
 * each epoch (layer 1 at the inputs).
 *
 * @category Vanishing gradients
 */
export interface DepthRun {
  /** The hidden activation. */
  readonly hidden: Activation
  /** Per epoch, the trainer's per-layer statistics. */
  readonly epochs: readonly (readonly LayerStats[])[]
  /** The training loss of each epoch. */
  readonly trainLoss: readonly number[]
  /**
   * The first epoch's delta RMS of layer 1 divided by that of the last
   * hidden layer: how much of the error signal reaches the inputs.
   */
  readonly reach: number
}

/**
 * The results of {@link vanishingGradients}.
 *
 * @category Vanishing gradients
 */
export interface VanishingGradientsResult {
  /** Layer sizes `[4, width, ..., width, 3]`. */
  readonly sizes: readonly number[]
  /** The logsig run. */
  readonly logsig: DepthRun
  /** The relu run. */
  readonly relu: DepthRun
}

const NAME = 'vanishing-gradients'

/**
 * Trains a deep network on iris twice, with logsig and with relu hidden
 * units (Glorot and He initialisation, softmax output, SGD with batch 16),
 * and returns each layer's delta RMS, gradient norm and weight norm per
 * epoch, as `backprop train --layer-stats` prints them.
 *
 * @example
 * ```ts
 * const r = await vanishingGradients()
 * if (E.isRight(r)) console.log(r.right.logsig.reach, r.right.relu.reach) // tiny vs of order 1
 * ```
 * @category Vanishing gradients
 */
export const vanishingGradients = async (
  options: VanishingGradientsOptions = {},
): Promise<E.Either<ExampleError, VanishingGradientsResult>> => {
  const depth = options.depth ?? 6
  const width = options.width ?? 16
  const epochs = options.epochs ?? 3
  const seed = options.seed ?? 1
  if (!(Number.isInteger(depth) && depth >= 1 && Number.isInteger(width) && width >= 1)) {
    return E.left(exampleError(NAME, `depth and width must be positive integers, got ${depth} and ${width}`))
  }
  const iris = loadIris({ seed, normalize: true })
  if (E.isLeft(iris)) return E.left(exampleError(NAME, iris.left.message))
  const sizes = [4, ...Array.from({ length: depth }, () => width), 3]
  const run = async (hidden: Activation): Promise<E.Either<ExampleError, DepthRun>> => {
    const activations: Activation[] = [...Array.from({ length: depth }, () => hidden), 'softmax']
    const params = initParams({ sizes, activations }, { seed })
    if (E.isLeft(params)) return E.left(exampleError(NAME, params.left.message))
    const trained = await trainToEnd(NAME, {
      model: (batch) => layered({ sizes, activations, loss: 'softmax-cross-entropy', reduction: 'mean', batch }),
      backend: cpuBackend(),
      data: iris.right.train,
      params: params.right,
      optimizer: sgd({ lr: 0.1 }),
      epochs,
      batchSize: 16,
      seed,
      layerStats: true,
    })
    if (E.isLeft(trained)) return trained
    const perEpoch = trained.right.epochs.map((e) => e.layers ?? [])
    const first = perEpoch[0]!
    return E.right({
      hidden,
      epochs: perEpoch,
      trainLoss: trained.right.epochs.map((e) => e.trainLoss),
      reach: first[0]!.deltaRms / first[depth - 1]!.deltaRms,
    })
  }
  const logsig = await run('logsig')
  if (E.isLeft(logsig)) return logsig
  const relu = await run('relu')
  if (E.isLeft(relu)) return relu
  return E.right({ sizes, logsig: logsig.right, relu: relu.right })
}
