import type { Backend } from '@backprop/backend'
import type { Dataset } from '@backprop/data'
import type { AtomicIo } from './atomic-write.js'
import type { EarlyStopping } from './early-stopping.js'
import type { LayerStats } from './layer-stats.js'
import type { Model } from './model.js'
import type { ModelDescription } from './model-file.js'
import type { Optimizer } from './optimizer.js'
import type { Params } from './params.js'

/**
 * Where and how often a run writes checkpoints.
 *
 * @category Training
 */
export interface CheckpointOptions {
  /** The checkpoint file; each write replaces it atomically. */
  readonly path: string
  /** Write after every this many epochs (default 1); the last epoch is always written. */
  readonly everyEpochs?: number
  /** The file operations to use; the real file system by default. */
  readonly io?: AtomicIo
  /** Write a self-describing model file: this description with the parameters. */
  readonly model?: ModelDescription
}

/**
 * Everything {@link train} needs. Only `model`, `backend`, `data`, `params`,
 * `optimizer` and `epochs` are required.
 *
 * @category Training
 */
export interface TrainOptions {
  /** Builds the model's graph per batch size. */
  readonly model: Model
  /** Runs the graphs; the trainer knows only the `Backend` interface. */
  readonly backend: Backend
  /** The training samples. */
  readonly data: Dataset
  /** Held-out samples evaluated after every epoch; optional. */
  readonly test?: Dataset
  /** The initial parameters, one per `param` node of the model (see `initParams` of `@backprop/nn`). */
  readonly params: Params
  /** How the parameters move; see {@link gd}, {@link sgd}, {@link momentum}, {@link adam}. */
  readonly optimizer: Optimizer
  /** Number of epochs (passes over `data`), at least 1. */
  readonly epochs: number
  /**
   * Samples per step (default 32; 1 is the lecture's stochastic GD; `Infinity`
   * for the whole set). Ignored by full-batch optimisers ({@link gd}), which
   * always take the whole training set.
   */
  readonly batchSize?: number
  /**
   * Seed of the per-epoch shuffle (default 0): epoch e visits the samples in
   * the order `epochOrder(size, seed, e)` of `@backprop/data`. The same seed,
   * data, parameters and options give the same run, bit for bit, on a
   * deterministic backend.
   */
  readonly seed?: number
  /**
   * Whether to report test accuracy: by default true exactly when `data` has
   * `classes` (classification data).
   */
  readonly classification?: boolean
  /**
   * Stop when the test loss stops improving: the run's events go through
   * the {@link earlyStopping} operator with these options, so the run ends
   * after the epoch that exhausts the patience with a `done` event
   * (`stoppedEarly: true`, that epoch's figures and parameters). Its
   * `checkpoint` is the last one the `everyEpochs` schedule wrote, and it
   * has no `finalTrainLoss`: the run is stopped, not finished.
   */
  readonly earlyStopping?: EarlyStopping
  /**
   * Stops the run when aborted, as `fetch` and Node's APIs take one: within
   * one step, with no event after it (no `done`), then the stream
   * completes. A signal already aborted starts nothing. Unsubscribing stops
   * the run the same way.
   */
  readonly signal?: AbortSignal
  /** Write checkpoints while training. */
  readonly checkpoint?: CheckpointOptions
  /** Emit a step event every this many steps (default 1; 0 for none). */
  readonly stepEvery?: number
  /**
   * Hand control back to the event loop (a macrotask turn) whenever this many
   * milliseconds of training have passed since the last time (default 4; 0
   * yields after every step), so that I/O, timers and unsubscription are
   * handled promptly while a run is going.
   */
  readonly yieldEveryMs?: number
  /** A millisecond clock for `samplesPerSecond`; `performance.now` by default. */
  readonly clock?: () => number
  /**
   * Report per-layer figures in every epoch event (`layers`, see
   * {@link LayerStats}) for a model that lists its layers
   * ({@link ModelGraph.layers}). They are computed inside the compiled step.
   */
  readonly layerStats?: boolean
  /**
   * Evaluate the training loss (and the model's metrics) at the final
   * parameters, over the whole training set, for the `done` event's
   * `finalTrainLoss` (and `finalMetrics`); `false` by default, since
   * `trainLoss` is the mean of losses before each update and this costs a
   * pass over the data.
   */
  readonly finalTrainLoss?: boolean
  /**
   * How a failed run is delivered: as an `error` event, after which the
   * stream completes (`'event'`, the default), or on the Observable's error
   * channel (`'error'`), as a {@link TrainFailure} (a `BackpropError`
   * carrying the event), so that `lastValueFrom` rejects.
   */
  readonly failures?: 'event' | 'error'
}
