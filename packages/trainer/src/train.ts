import { Observable } from 'rxjs'
import { earlyStopping } from './early-stopping.js'
import { type TrainErrorEvent, type TrainEvent, trainFailure, withParams } from './events.js'
import type { Optimizer } from './optimizer.js'
import type { TrainOptions } from './options.js'
import { runTraining } from './run.js'

/**
 * Trains a model and reports as a cold Observable: every subscription starts
 * its own run. Aborting {@link TrainOptions.signal} or unsubscribing stops
 * it within one step and disposes the compiled programs; the last `epoch`
 * event carries the parameters of the last completed epoch. An aborted run
 * emits nothing more and completes, without a `done` event; a run whose
 * signal is already aborted when it is subscribed starts nothing and
 * completes at once. With {@link TrainOptions.earlyStopping}, the stream
 * goes through the {@link earlyStopping} operator, which ends it with a
 * `done` event (`stoppedEarly: true`) after the epoch that exhausts the
 * patience, and so stops the run.
 *
 * Events arrive in this order: for each epoch, its `step` events then its
 * `epoch` event; finally one `done` event, or one `error` event when the run
 * fails (a NaN or infinite loss, gradient or new parameter, a backend
 * failure, a model that does not fit the data, a checkpoint that cannot be
 * written). The stream then completes; it never errors, unless the
 * `failures: 'error'` option asks for the failure on the error channel
 * instead of the event (a {@link TrainFailure}). Between steps the
 * run yields to the event loop, so servers and timers stay responsive while
 * it trains.
 *
 * The model's gradient graph is derived with `grad` of `@backprop/diff` and
 * compiled once per batch size. Any graph with parameters and a scalar loss
 * trains, layered or not.
 *
 * Each step is one run of a compiled program: the loss's gradients and the
 * optimiser's update (see {@link Optimizer}), with the batch and the
 * optimiser's per-step scalars fed. On a backend that holds parameters (it
 * compiles the step with `updates` into a `StatefulExecutable`, as the CPU
 * and workers backends do), the parameters and the optimiser's state are
 * updated in place; on any other (ONNX Runtime), the same graph returns
 * their new values and the trainer feeds them to the next step. Either way
 * the same operations compute the update, so the paths round alike. The
 * parameters are read back at each epoch end, for the epoch event, the
 * evaluation and the checkpoint.
 *
 * A step is accepted when its loss and its new parameters are finite. The
 * gradients are never returned, so a non-finite gradient shows as a
 * non-finite new parameter; and the executable has applied a failed step by
 * the time the run sees it. The run then replays
 * the epoch's accepted steps from the parameters of the last epoch end,
 * checking each replayed loss bit for bit, so that the error event carries
 * the parameters of the last good step and names the cause (loss, gradient
 * or update). On a backend whose runs do not
 * reproduce, the event carries the parameters of the last epoch end and its
 * message says so.
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
  options.earlyStopping === undefined ? trainingRun(options) : trainingRun(options).pipe(earlyStopping(options.earlyStopping))

/** The run of {@link train} without early stopping: one per subscription, stopped by the signal or by unsubscribing. */
const trainingRun = (options: TrainOptions): Observable<TrainEvent> =>
  new Observable<TrainEvent>((subscriber) => {
    // The run's own controller: the caller's signal aborts it, and so does unsubscribing.
    const controller = new AbortController()
    const outer = options.signal
    const follow = (): void => controller.abort(outer?.reason)
    if (outer?.aborted) follow()
    else outer?.addEventListener('abort', follow, { once: true })
    const { signal } = controller
    const emit = (event: TrainEvent): void => {
      if (signal.aborted || subscriber.closed) return
      if (event.type === 'error' && options.failures === 'error') subscriber.error(trainFailure(event))
      else subscriber.next(event)
    }
    // Start on the next microtask, so that subscribing returns at once and
    // an immediate unsubscribe (or an aborted signal) runs nothing at all.
    Promise.resolve()
      .then(() => (signal.aborted ? undefined : runTraining(options, emit, signal)))
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
      outer?.removeEventListener('abort', follow)
      controller.abort()
    }
  })
