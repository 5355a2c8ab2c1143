import { Observable } from 'rxjs'
import { type TrainErrorEvent, type TrainEvent, withParams } from './events.js'
import type { TrainOptions } from './options.js'
import { runTraining } from './run.js'

/**
 * Trains a model and reports as a cold Observable: every subscription starts
 * its own run, and unsubscribing stops it within one step, leaving the
 * parameters of the last completed step intact (updates are pure, so no
 * half-written parameters ever exist) and disposing the compiled programs.
 *
 * Events arrive in this order: for each epoch, its `step` events then its
 * `epoch` event; finally one `done` event, or one `error` event when the run
 * fails (a NaN or infinite loss or gradient, a backend failure, a model that
 * does not fit the data, a checkpoint that cannot be written). The stream
 * then completes; it never errors. Between steps the run yields to the event
 * loop, so servers and timers stay responsive while it trains.
 *
 * The model's gradient graph is derived with `grad` of `@backprop/diff` and
 * compiled once per batch size. Any graph with parameters and a scalar loss
 * trains, layered or not.
 *
 * @example
 * ```ts
 * const model: Model = (batch) => layered({ sizes: [4, 8, 3], activations: ['tanh', 'softmax'],
 *   loss: 'softmax-cross-entropy', reduction: 'mean', batch })
 * train({ model, backend: cpuBackend(), data: split.train, test: split.test,
 *   params: initialParams, optimizer: adam({ lr: 0.01 }), epochs: 50, batchSize: 16, seed: 1 })
 *   .pipe(filter((e) => e.type !== 'step'))
 *   .subscribe((e) => console.log(JSON.stringify(e)))
 * ```
 * @category Training
 */
export const train = (options: TrainOptions): Observable<TrainEvent> =>
  new Observable<TrainEvent>((subscriber) => {
    let stopped = false
    const isStopped = (): boolean => stopped || subscriber.closed
    const emit = (event: TrainEvent): void => {
      if (!isStopped()) subscriber.next(event)
    }
    // Start on the next microtask, so that subscribing returns at once and
    // an immediate unsubscribe runs nothing at all.
    Promise.resolve()
      .then(() => (isStopped() ? undefined : runTraining(options, emit, isStopped)))
      .then(
        () => subscriber.complete(),
        (e: unknown) => {
          // A thrown exception is a bug (ours, or in a user's model or optimiser); report it as an event all the same.
          const message = `internal error: ${e instanceof Error ? e.message : String(e)}`
          emit(withParams<TrainErrorEvent>({ type: 'error', message, step: null, epoch: null, checkpoint: null }, undefined))
          subscriber.complete()
        },
      )
    return () => {
      stopped = true
    }
  })
