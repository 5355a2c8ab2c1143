/**
 * Training for backprop: optimisers written as update graphs (`gd`, `sgd`,
 * `momentum`, `adam`), learning-rate schedules, early stopping, and `train`,
 * which returns a cold RxJS Observable of training events: subscribing
 * starts a run, unsubscribing stops it. Parameters save to and load from
 * checkpoint files written atomically.
 *
 * The trainer knows only the `Backend` interface of `@backprop/backend`, so
 * any backend runs it, and it trains any graph with parameters and a scalar
 * loss, not only layered networks. The optimiser's update is compiled into
 * the training step, so a backend that holds parameters updates them in
 * place, and any other computes the same update from fed parameters.
 *
 * @example
 * ```ts
 * import { lastValueFrom } from 'rxjs'
 * import { eventParams, sgd, train } from '@backprop/trainer'
 *
 * const done = await lastValueFrom(train({ model, backend, data, params, optimizer: sgd({ lr: 0.1 }), epochs: 10 }))
 * if (done.type === 'done') console.log(done.trainLoss, eventParams(done))
 * ```
 *
 * @packageDocumentation
 */
export { type TrainError, checkpointError, configError, paramsError } from './errors.js'
export {
  type ParamSpec,
  type Params,
  checkParams,
  cloneParams,
  firstNonFinite,
  nonFiniteParam,
  paramSpecs,
} from './params.js'
export { type LearningRate, type Schedule, constant, cosine, rateAt, stepDecay } from './schedule.js'
export type { GraphParam, Optimizer, Slot, StepInfo, UpdateInputs, UpdateNodes } from './optimizer.js'
export { type SgdOptions, gd, sgd } from './optimizers/sgd.js'
export { type MomentumOptions, momentum } from './optimizers/momentum.js'
export { type AdamOptions, adam } from './optimizers/adam.js'
export type { LayerNodes, Model, ModelGraph } from './model.js'
export type { LayerStats } from './layer-stats.js'
export {
  type DoneEvent,
  type EpochEvent,
  type EpochFigures,
  type StepEvent,
  type TrainErrorEvent,
  type TrainEvent,
  type TrainFailed,
  type TrainFailure,
  eventParams,
  jsonLine,
} from './events.js'
export { type EarlyStopping, earlyStopping, plateau } from './early-stopping.js'
export type { CheckpointOptions, TrainOptions } from './options.js'
export { type EvaluateModelOptions, type Evaluation, type Misclassified, evaluateModel, mistakesKept } from './evaluate.js'
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type ModelFile,
  type SaveOptions,
  decodeModelFile,
  decodeParams,
  encodeParams,
  loadModelFile,
  loadParams,
  saveParams,
} from './checkpoint.js'
export { MODEL_FORMAT, MODEL_VERSION, type ModelDescription } from './model-file.js'
export { type AtomicIo, nodeIo } from './atomic-write.js'
export { train } from './train.js'
