import {
  type DoneEvent,
  type EpochEvent,
  eventParams,
  type Params,
  type StepEvent,
  train,
  type TrainOptions,
} from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, tap, toArray } from 'rxjs'
import { type ExampleError, exampleError } from './errors.js'

/**
 * What a finished training run leaves behind: every step's loss (the batch
 * loss before the update, as the trainer reports it), the parameters after
 * each epoch, and the final `done` event.
 *
 * @category Training
 */
export interface TrainedRun {
  /** The loss of each step's batch before its update, step 1 first. */
  readonly stepLosses: readonly number[]
  /** The parameters after each epoch, epoch 1 first. */
  readonly epochParams: readonly Params[]
  /** The epoch events, epoch 1 first. */
  readonly epochs: readonly EpochEvent[]
  /** The last event of the run. */
  readonly done: DoneEvent
  /** The final parameters. */
  readonly params: Params
}

/**
 * Runs `train(options)` to the end and gathers its events, calling `onStep`
 * for each step event as it arrives (for live plots). A run that ends with
 * an error event becomes a `Left` naming `example`.
 *
 * @category Training
 */
export const trainToEnd = async (
  example: string,
  options: TrainOptions,
  onStep?: (event: StepEvent) => void,
): Promise<E.Either<ExampleError, TrainedRun>> => {
  const events = await lastValueFrom(
    train(options).pipe(
      tap((e) => {
        if (e.type === 'step') onStep?.(e)
      }),
      toArray(),
    ),
  )
  const last = events[events.length - 1]
  if (last === undefined) return E.left(exampleError(example, 'training emitted no events'))
  if (last.type === 'error') return E.left(exampleError(example, `training failed: ${last.message}`))
  if (last.type !== 'done') return E.left(exampleError(example, `training ended with a ${last.type} event`))
  const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch')
  return E.right({
    stepLosses: events.flatMap((e) => (e.type === 'step' ? [e.loss] : [])),
    epochParams: epochs.map((e) => e.params),
    epochs,
    done: last,
    params: eventParams(last)!,
  })
}

/**
 * The values of parameter `name` as a plain array.
 *
 * @category Training
 */
export const paramValues = (params: Params, name: string): number[] => Array.from(params[name]?.data ?? [])
