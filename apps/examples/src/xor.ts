// XOR, the classic problem no single neuron solves: a 2-2-1 network of
// logsig units (the lecture's layered network, bias included in each layer)
// with the cross-entropy error, trained by batch GD with backprop done by
// symbolic differentiation.
import { tensor } from '@backprop/backend'
import { cpuBackend, evaluate } from '@backprop/backend-cpu'
import type { Dataset } from '@backprop/data'
import { type Activation, initParams, layered, type Loss } from '@backprop/nn'
import { gd, type Params } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { type ExampleError, exampleError } from './errors.js'
import { trainToEnd } from './training.js'

/**
 * Options of {@link xor}; every field has a default.
 *
 * @category XOR
 */
export interface XorOptions {
  /**
   * Seed of the initial weights (default 0; Glorot uniform, zero biases).
   * Not every seed works: from some starts (seed 2, say) batch GD settles in a
   * local minimum where two patterns sit at y = 0.5.
   */
  readonly seed?: number
  /** Epochs of batch GD, one step each (default 1000). */
  readonly epochs?: number
  /** Learning rate (default 2). */
  readonly lr?: number
}

/**
 * The results of {@link xor}.
 *
 * @category XOR
 */
export interface XorResult {
  /** The four patterns `[x1, x2]` in the order 00, 01, 10, 11. */
  readonly inputs: readonly (readonly [number, number])[]
  /** Their targets, `x1 XOR x2`. */
  readonly targets: readonly number[]
  /** The network's outputs y for the four patterns after training. */
  readonly outputs: readonly number[]
  /** Patterns classified correctly (y > 0.5 exactly when the target is 1). */
  readonly correct: number
  /** The loss curve: the cross-entropy over the four patterns before each step. */
  readonly curve: readonly number[]
  /** The trained parameters `W1` (`[2, 2]`), `b1`, `W2` (`[1, 2]`), `b2`. */
  readonly params: Params
  /** The seed of the initial weights. */
  readonly seed: number
  /** The learning rate of batch GD. */
  readonly lr: number
  /** Epochs (= steps) of batch GD. */
  readonly epochs: number
}

const NAME = 'xor'
const SIZES = [2, 2, 1] as const
const ACTIVATIONS: readonly Activation[] = ['logsig', 'logsig']
const LOSS: Loss = 'cross-entropy'

/**
 * The four XOR patterns with target `x1 XOR x2`.
 *
 * @category XOR
 */
export const xorData: Dataset = {
  name: 'xor',
  size: 4,
  features: 2,
  targets: 1,
  x: Float64Array.of(0, 0, 0, 1, 1, 0, 1, 1),
  t: Float64Array.of(0, 1, 1, 0),
  classes: ['0', '1'],
}

/**
 * Trains a 2-2-1 logsig network on XOR with the cross-entropy error by batch
 * GD, from seeded initial weights, and reports its outputs on the four
 * patterns.
 *
 * @example
 * ```ts
 * const result = await xor()
 * if (E.isRight(result)) console.log(result.right.outputs) // near [0, 1, 1, 0]
 * ```
 * @category XOR
 */
export const xor = async (options: XorOptions = {}): Promise<E.Either<ExampleError, XorResult>> => {
  const seed = options.seed ?? 0
  const lr = options.lr ?? 2
  const epochs = options.epochs ?? 1000
  const params = initParams({ sizes: SIZES, activations: ACTIVATIONS }, { seed })
  if (E.isLeft(params)) return E.left(exampleError(NAME, params.left.message))
  const trained = await trainToEnd(NAME, {
    model: (batch) => layered({ sizes: SIZES, activations: ACTIVATIONS, loss: LOSS, batch }),
    backend: cpuBackend(),
    data: xorData,
    params: params.right,
    optimizer: gd({ lr }),
    epochs,
  })
  if (E.isLeft(trained)) return trained
  // The outputs for all four patterns, from the network's own graph.
  const net = layered({ sizes: SIZES, activations: ACTIVATIONS, loss: LOSS, batch: 4 })
  if (E.isLeft(net)) return E.left(exampleError(NAME, net.left.message))
  const y = evaluate(net.right.graph, [net.right.outputs], {
    ...trained.right.params,
    x: tensor(xorData.x, [4, 2]),
    t: tensor(xorData.t, [4, 1]),
  })
  if (E.isLeft(y)) return E.left(exampleError(NAME, y.left.message))
  const outputs = Array.from(y.right[0]!.data)
  const targets = Array.from(xorData.t)
  return E.right({
    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]],
    targets,
    outputs,
    correct: outputs.filter((v, i) => (v > 0.5) === (targets[i] === 1)).length,
    curve: trained.right.stepLosses,
    params: trained.right.params,
    seed,
    lr,
    epochs,
  })
}
