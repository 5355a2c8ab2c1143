/**
 * Neural-network building blocks as graph builders: dense layers,
 * activations (`linear logsig tanh relu softmax`), losses (`sse`,
 * `cross-entropy`, `softmax-cross-entropy`; matched pairs in stable forms
 * whose gradient is the lecture's `y - t`), layered networks with seeded
 * initialisers, and the lecture's explicit delta-rule backprop as an
 * independent reference.
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js'
 * import { layered, networkGradients, initParams } from '@backprop/nn'
 *
 * const net = layered({ sizes: [4, 8, 3], activations: ['tanh', 'softmax'],
 *   loss: 'softmax-cross-entropy', reduction: 'mean', batch: 16 })
 * if (E.isRight(net)) {
 *   const grads = networkGradients(net.right)          // graph + dE/dW_l, dE/db_l nodes
 *   const params = initParams(net.right.spec, { seed: 1 }) // { W1, b1, W2, b2 }
 * }
 * ```
 *
 * @packageDocumentation
 */
export {
  type Activation,
  type FullSpec,
  type LayeredSpec,
  type Loss,
  type Reduction,
  activationNames,
  isMatched,
  lossNames,
  validateSpec,
} from './spec.js'
export { activate } from './activations.js'
export { dense } from './dense.js'
export { type LossInput, lossOf } from './losses.js'
export { biasName, weightName } from './names.js'
export {
  type LayerNodes,
  type LayerParams,
  type Network,
  type NetworkGradients,
  layered,
  layeredInto,
  networkGradients,
  rebatch,
} from './layered.js'
export { type InitLayers, type InitOptions, type InitScheme, type ParamValue, initParams } from './init.js'
export { type HostTensor, layersOf, nameParams } from './values.js'
export {
  type DeltaRuleInput,
  type DeltaRuleResult,
  type Float64Tensor,
  deltaRule,
} from './delta-rule.js'
export {
  type Edge,
  type FeedForwardBuild,
  type FeedForwardSpec,
  type FeedForwardUnit,
  validateFeedForward,
} from './feedforward/spec.js'
export { type Block, type FeedForwardLayout, type Place, type UnitGroup, layoutOf } from './feedforward/layout.js'
export {
  type FeedForwardGradients,
  type FeedForwardNetwork,
  feedForward,
  feedForwardGradients,
  feedForwardInto,
  rebatchFeedForward,
} from './feedforward/network.js'
export { type FeedForwardInit, feedForwardParams, unitDeltas, unitValues, withWeights } from './feedforward/params.js'
export {
  type FeedForwardDeltaRuleInput,
  type FeedForwardDeltaRuleResult,
  feedForwardDeltaRule,
} from './feedforward/delta-rule.js'
export {
  type Architecture,
  type InputScaling,
  type Predictor,
  decodeArchitecture,
  predictor,
  shapeOf,
} from './architecture.js'
