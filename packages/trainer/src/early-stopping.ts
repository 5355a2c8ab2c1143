import { concatMap, type MonoTypeOperatorFunction, defer, of, takeWhile } from 'rxjs'
import { type DoneEvent, type EpochEvent, type EpochFigures, type TrainEvent, withParams } from './events.js'

/**
 * Early stopping on a plateau: stop when the monitored loss has not improved
 * by more than `minDelta` for `patience` epochs in a row.
 *
 * @category Early stopping
 */
export interface EarlyStopping {
  /** Epochs without improvement to tolerate; the run stops at the next one. */
  readonly patience: number
  /** How much lower than the best so far a loss must be to count as better. Default 0. */
  readonly minDelta?: number
  /**
   * The loss to watch: `testLoss` (the default, falling back to `trainLoss`
   * in epochs without a test loss) or `trainLoss`.
   */
  readonly monitor?: 'testLoss' | 'trainLoss'
}

/**
 * A plateau detector: feed it each epoch's figures in order, and it answers
 * whether to stop after that epoch. Each call to `plateau` starts afresh, so
 * two runs never share a detector.
 *
 * @example
 * ```ts
 * const stop = plateau({ patience: 2 })
 * stop(figures1) // false: first epoch sets the best
 * ```
 * @category Early stopping
 */
export const plateau = (options: EarlyStopping): ((figures: EpochFigures) => boolean) => {
  const minDelta = options.minDelta ?? 0
  let best = Infinity
  let waited = 0
  return (figures) => {
    const value = options.monitor === 'trainLoss' ? figures.trainLoss : (figures.testLoss ?? figures.trainLoss)
    if (value < best - minDelta) {
      best = value
      waited = 0
      return false
    }
    waited += 1
    return waited >= options.patience
  }
}

/**
 * The `done` event that ends a run after the epoch `last`: the same final
 * figures, the parameters it carries, and whether early stopping ended it.
 *
 * @internal
 */
export const doneAfter = (last: EpochEvent, stoppedEarly: boolean): DoneEvent =>
  withParams<DoneEvent>(
    {
      type: 'done',
      epochs: last.epoch,
      steps: last.steps,
      trainLoss: last.trainLoss,
      testLoss: last.testLoss,
      testAccuracy: last.testAccuracy,
      samplesPerSecond: last.samplesPerSecond,
      ...(last.metrics === undefined ? {} : { metrics: last.metrics }),
      stoppedEarly,
      checkpoint: last.checkpoint,
    },
    last.params,
  )

/**
 * Early stopping as an operator over a training stream: passes every event
 * through, and after the epoch that exhausts the patience emits a `done`
 * event (with `stoppedEarly: true`, the epoch's figures and parameters) and
 * completes, which unsubscribes from the run and so stops it.
 * {@link TrainOptions.earlyStopping} applies this operator to the run.
 *
 * @example
 * ```ts
 * train(options).pipe(earlyStopping({ patience: 3 })).subscribe(print)
 * ```
 * @category Early stopping
 */
export const earlyStopping =
  (options: EarlyStopping): MonoTypeOperatorFunction<TrainEvent> =>
  (source) =>
    defer(() => {
      const stop = plateau(options)
      return source.pipe(
        concatMap((event) => (event.type === 'epoch' && stop(event) ? of(event, doneAfter(event, true)) : of(event))),
        takeWhile((event) => event.type !== 'done', true),
      )
    })
