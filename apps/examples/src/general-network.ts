// The lecture's general feed-forward network: units wired to any earlier
// units, here iris's four inputs feeding tanh units, relu units that read
// both inputs and tanh units, and softmax outputs that also read two inputs
// directly (skip connections). The spec is the file `backprop train --net`
// reads (apps/examples/nets/skip-iris.json, weights left out and drawn from
// the seed); training uses the symbolic gradient, and the lecture's general
// delta rule, delta_i = h_i'(a_i) sum_{k in post(i)} w_ki delta_k, checks it.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { tensor } from '@backprop/backend'
import { cpuBackend, evaluate } from '@backprop/backend-cpu'
import { loadIris } from '@backprop/data'
import {
  type FeedForwardSpec,
  feedForward,
  feedForwardDeltaRule,
  feedForwardGradients,
  feedForwardParams,
  unitDeltas,
  validateFeedForward,
  withWeights,
} from '@backprop/nn'
import { adam } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { type ExampleError, exampleError } from './errors.js'
import { trainToEnd } from './training.js'

/**
 * The spec file of the example, as `backprop train --net` takes it.
 *
 * @category General network
 */
export const skipNetFile: string = fileURLToPath(new URL('../nets/skip-iris.json', import.meta.url))

/**
 * The results of {@link generalNetwork}.
 *
 * @category General network
 */
export interface GeneralNetworkResult {
  /** The network as read from the file. */
  readonly spec: FeedForwardSpec
  /** The units grouped into tensors: each group's unit numbers. */
  readonly groups: readonly (readonly number[])[]
  /** Training loss per epoch. */
  readonly trainLoss: readonly number[]
  /** Test accuracy after the last epoch. */
  readonly testAccuracy: number
  /** The largest difference between the symbolic deltas and the delta rule's, over the test set at the trained weights. */
  readonly deltaDifference: number
}

const NAME = 'general-network'

/**
 * Reads the example's spec file, trains it on iris (Adam, 20 epochs) and
 * compares every unit's delta on the test set, from the symbolic gradient
 * graph and from the general delta rule, at the trained weights.
 *
 * @example
 * ```ts
 * const r = await generalNetwork()
 * if (E.isRight(r)) console.log(r.right.testAccuracy, r.right.deltaDifference)
 * ```
 * @category General network
 */
export const generalNetwork = async (): Promise<E.Either<ExampleError, GeneralNetworkResult>> => {
  const spec = validateFeedForward(JSON.parse(readFileSync(skipNetFile, 'utf8')))
  if (E.isLeft(spec)) return E.left(exampleError(NAME, spec.left.message))
  const net = spec.right
  const iris = loadIris({ seed: 1, normalize: true })
  const params = feedForwardParams(net, { seed: 1 })
  if (E.isLeft(iris) || E.isLeft(params)) return E.left(exampleError(NAME, 'cannot load iris or draw the weights'))
  const trained = await trainToEnd(NAME, {
    model: (batch) => feedForward({ ...net, batch, reduction: 'mean' }),
    backend: cpuBackend(),
    data: iris.right.train,
    test: iris.right.test,
    params: params.right,
    optimizer: adam({ lr: 0.05 }),
    epochs: 20,
    batchSize: 16,
    seed: 1,
  })
  if (E.isLeft(trained)) return trained
  // The trained net on the whole test set: deltas from the graph and from the delta rule.
  const test = iris.right.test
  const built = feedForward({ ...net, batch: test.size })
  const derived = E.flatMap(feedForwardGradients)(built)
  if (E.isLeft(built) || E.isLeft(derived)) return E.left(exampleError(NAME, 'cannot build the network'))
  const x = { shape: [test.size, 4], data: test.x }
  const t = { shape: [test.size, 3], data: test.t }
  const deltas = evaluate(derived.right.graph, derived.right.deltas, { ...trained.right.params, x: tensor(test.x, [test.size, 4]), t: tensor(test.t, [test.size, 3]) })
  const reference = feedForwardDeltaRule({ spec: withWeights(net, trained.right.params), x, t })
  if (E.isLeft(deltas) || E.isLeft(reference)) return E.left(exampleError(NAME, 'cannot compute the deltas'))
  const symbolic = unitDeltas(net, deltas.right).flat()
  const deltaDifference = reference.right.deltas.flat().reduce((m, d, i) => Math.max(m, Math.abs(d - symbolic[i]!)), 0)
  return E.right({
    spec: net,
    groups: built.right.layout.groups.map((g) => g.units),
    trainLoss: trained.right.epochs.map((e) => e.trainLoss),
    testAccuracy: trained.right.done.testAccuracy ?? 0,
    deltaDifference,
  })
}
