import { BackpropError } from '@backprop/graph'
import type { Misclassified } from './evaluate.js'
import type { LayerStats } from './layer-stats.js'
import type { TrainOptions } from './options.js'
import type { Params } from './params.js'

/**
 * One optimiser step has been applied. `loss` is the loss of the step's batch
 * before the update, in the model's own reduction.
 *
 * @category Events
 */
export interface StepEvent {
  readonly type: 'step'
  /** The step number, from 1 over the whole run. */
  readonly step: number
  /** The epoch the step belongs to, from 1. */
  readonly epoch: number
  /** The batch loss before the update. */
  readonly loss: number
}

/**
 * The figures every epoch ends with, and a run ends with.
 *
 * @category Events
 */
export interface EpochFigures {
  /** Mean over the epoch's batches of the per-batch loss (before each update). */
  readonly trainLoss: number
  /**
   * The test loss after the epoch, aggregated like `trainLoss` (mean over
   * test chunks of the training batch size); `null` without test data.
   */
  readonly testLoss: number | null
  /**
   * Fraction of test samples whose arg-max prediction matches the arg-max
   * target (for one output unit: both on the same side of 0.5); `null` for
   * regression, without test data or without model outputs.
   */
  readonly testAccuracy: number | null
  /** Training samples through forward, backward and update per second of that work. */
  readonly samplesPerSecond: number
  /**
   * The model's metrics (see `ModelGraph.metrics`), each averaged like
   * `trainLoss`: the mean over the epoch's batches before each update.
   * Present when the model names metrics.
   */
  readonly metrics?: Readonly<Record<string, number>>
}

/**
 * An epoch has ended. Carries the parameters after the epoch as the
 * non-enumerable property `params` (see {@link eventParams}).
 *
 * @category Events
 */
export interface EpochEvent extends EpochFigures {
  readonly type: 'epoch'
  /** The epoch number, from 1. */
  readonly epoch: number
  /** Steps taken so far in the run. */
  readonly steps: number
  /** The path of the last checkpoint written so far (this epoch's, if any), or `null`. */
  readonly checkpoint: string | null
  /** Per-layer figures of the epoch, when the run asks for them ({@link TrainOptions.layerStats}). */
  readonly layers?: readonly LayerStats[]
  /** The parameters after this epoch (non-enumerable: not in JSON). */
  readonly params: Params
  /**
   * For classification with test data: the test confusion matrix, counts by
   * true class (row) and predicted class (column).
   */
  readonly confusion?: readonly (readonly number[])[]
  /**
   * With `confusion`: the first few misclassified test samples (their
   * position in the test set from 0, true and predicted class), for a page
   * to show examples the network gets wrong.
   */
  readonly misclassified?: readonly Misclassified[]
}

/**
 * The run has finished: all epochs done, or stopped early. Carries the last
 * epoch's figures and, as the non-enumerable property `params`, the final
 * parameters. It is the last event before the stream completes.
 *
 * @category Events
 */
export interface DoneEvent extends EpochFigures {
  readonly type: 'done'
  /** Epochs completed. */
  readonly epochs: number
  /** Steps taken. */
  readonly steps: number
  /** True when early stopping ended the run before its last epoch. */
  readonly stoppedEarly: boolean
  /**
   * With the {@link TrainOptions.finalTrainLoss} option: the training loss
   * at the final parameters, over the whole training set (mean over chunks
   * of the batch size, like `testLoss`).
   */
  readonly finalTrainLoss?: number
  /** With {@link TrainOptions.finalTrainLoss} and metrics: each metric at the final parameters, likewise. */
  readonly finalMetrics?: Readonly<Record<string, number>>
  /** The path of the last checkpoint written, or `null`. */
  readonly checkpoint: string | null
  /** The final parameters (non-enumerable: not in JSON). */
  readonly params: Params
}

/**
 * The run has failed, e.g. the loss became NaN or infinite, the backend
 * failed, or the model does not fit the data. It is the last event before
 * the stream completes. The parameters were not updated with the failed
 * step: `params` (non-enumerable, absent when the run failed before its
 * first step could start) holds the last good ones, those of the step the
 * message names. (Only when the steps since could not be replayed exactly,
 * on a backend that holds parameters but does not reproduce its runs, are
 * they older, from the last epoch end, and the message says so.)
 *
 * @category Events
 */
export interface TrainErrorEvent {
  readonly type: 'error'
  /** One line: what went wrong, where, and what was kept. */
  readonly message: string
  /** The step that failed, or `null` when the run failed before any step. */
  readonly step: number | null
  /** The epoch it failed in, or `null` when the run failed before any step. */
  readonly epoch: number | null
  /** The path of the last good checkpoint, or `null` when none was written. */
  readonly checkpoint: string | null
  /** The last good parameters (non-enumerable: not in JSON), if any. */
  readonly params?: Params
}

/**
 * Everything a training run reports, a tagged union on `type`. Events are
 * plain objects whose enumerable fields are JSON-serialisable, so
 * `JSON.stringify(event)` prints the lines of `backprop train --json`;
 * parameters ride along as a non-enumerable `params` property, which JSON
 * and object spread leave out.
 *
 * @category Events
 */
export type TrainEvent = StepEvent | EpochEvent | DoneEvent | TrainErrorEvent

/**
 * Attaches `params` to an event as a non-enumerable, read-only property and
 * freezes the event.
 *
 * @internal
 */
export const withParams = <T extends { readonly params?: Params }>(
  event: Omit<T, 'params'>,
  params: Params | undefined,
): T => {
  const out = { ...event }
  if (params !== undefined) {
    Object.defineProperty(out, 'params', { value: params, enumerable: false, writable: false })
  }
  return Object.freeze(out) as T
}

/**
 * The parameters an event carries: after the epoch (`epoch`), final
 * (`done`) or last good (`error`); `undefined` for step events and errors
 * before the first step.
 *
 * @example
 * ```ts
 * const done = await lastValueFrom(train(options))
 * const params = eventParams(done)
 * ```
 * @category Events
 */
export const eventParams = (event: TrainEvent): Params | undefined =>
  event.type === 'step' ? undefined : event.params

/**
 * `value` as one line of JSON, with the numbers JSON has no literal for
 * written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` (plain
 * `JSON.stringify` writes `null`, which reads as "absent"). This is the form
 * `backprop train --json` prints events in and the dashboard serves them in
 * at `/events`; an event's parameters ride along non-enumerable, so they are
 * not part of it.
 *
 * @example
 * ```ts
 * jsonLine({ type: 'epoch', epoch: 3, testLoss: Infinity }) // '{"type":"epoch","epoch":3,"testLoss":"Infinity"}'
 * ```
 * @category Events
 */
export const jsonLine = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))

/**
 * A failed run on the Observable's error channel (the `failures: 'error'`
 * option of {@link TrainOptions}): the `error` event the stream would have
 * carried, tagged, with its message.
 *
 * @category Events
 */
export interface TrainFailed {
  readonly _tag: 'TrainFailed'
  /** The event's message. */
  readonly message: string
  /** The `error` event, with the last good parameters (see {@link eventParams}). */
  readonly event: TrainErrorEvent
}

/**
 * What a run with `failures: 'error'` errors with: a `BackpropError` whose
 * `error` is the {@link TrainFailed} record.
 *
 * @example
 * ```ts
 * try {
 *   await lastValueFrom(train({ ...options, failures: 'error' }))
 * } catch (e) {
 *   if (e instanceof BackpropError && e.error._tag === 'TrainFailed') console.log(e.message)
 * }
 * ```
 * @category Events
 */
export type TrainFailure = BackpropError<TrainFailed>

/**
 * The {@link TrainFailure} of an `error` event. @internal
 */
export const trainFailure = (event: TrainErrorEvent): TrainFailure =>
  new BackpropError<TrainFailed>({ _tag: 'TrainFailed', message: event.message, event })
