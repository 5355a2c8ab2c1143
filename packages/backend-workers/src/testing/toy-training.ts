import { tensor } from '@backprop/backend'
import { layered } from '@backprop/nn'
import type { Params, TrainOptions } from '@backprop/trainer'

/** 8 samples of 2 features and a 0/1 target: a training set small enough to follow step by step. */
export const toyData: TrainOptions['data'] = {
  name: 'toy',
  size: 8,
  features: 2,
  targets: 1,
  x: Float64Array.of(0, 0, 0, 1, 1, 0, 1, 1, 0.5, 0.5, -1, 0, 0, -1, 2, 1),
  t: Float64Array.of(0, 1, 1, 0, 1, 0, 0, 1),
}

/** A 2-3-1 tanh/logsig network with cross-entropy, for {@link toyData}. */
export const toyModel = (batch: number) => layered({ sizes: [2, 3, 1], activations: ['tanh', 'logsig'], loss: 'cross-entropy', batch })

/** Fixed initial parameters of {@link toyModel}. */
export const toyParams: Params = {
  W1: tensor([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2]),
  b1: tensor([0, 0.1, -0.1], [3]),
  W2: tensor([0.7, -0.8, 0.9], [1, 3]),
  b2: tensor([0.05], [1]),
}
