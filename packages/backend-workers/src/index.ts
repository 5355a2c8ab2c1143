/**
 * The workers backend: data parallelism over the batch axis with
 * `node:worker_threads`, each worker running the CPU backend of
 * `@backprop/backend-cpu`. It implements the same `Backend` interface and
 * passes the same conformance suite as the CPU backend.
 *
 * **How a run is split.** `compile(graph, outputs, { batchInputs: ['x', 't'] })`
 * splits the M samples on axis 0 of the named inputs into one contiguous
 * shard per worker (sizes differing by at most one; a batch smaller than the
 * number of workers gets one shard per sample). Each shard runs a *shard
 * graph*, derived once per shard size at compile time from the full graph
 * and sent to its worker once, as graph JSON (`toJson`/`fromJson`): the
 * batch inputs get m rows instead of M, reshapes and broadcasts on the batch
 * axis follow, and the nodes are rebuilt through the builder. Constants keep
 * their values, so the 1/M of a mean stays the full batch's 1/M and the
 * shards' losses and gradients are exact parts of the full batch's (means
 * weighted by shard size). A batch-axis analysis decides how each requested
 * output combines:
 *
 * - outputs that keep the batch axis (predictions `[M, K]`) are
 *   concatenated along it, in shard order;
 * - outputs from which the batch was summed out (the loss, parameter
 *   gradients: sums over samples, including a matmul contracting the
 *   samples such as `x^T delta`, and anything linear in such sums) are
 *   added in shard order, shard 0 + shard 1 + ..., so the result never
 *   depends on which worker finishes first; a batch-independent term added
 *   to such a sum (a weight penalty, say) is added by shard 0 alone;
 * - outputs that do not depend on the batch are computed by shard 0 only.
 *
 * The analysis only splits what it can prove to be exact. A graph that mixes
 * samples (a maximum or softmax across the batch axis, a nonlinear function
 * of a batch sum such as batch normalisation, a product of samples with
 * samples) is not split: its runs compute the whole graph on one worker,
 * still correct, and {@link WorkersExecutable.unsplitReason} names the
 * first node that mixes samples. So do runs compiled without `batchInputs`,
 * on one worker, or of one sample.
 *
 * **Data movement.** Each run copies its feeds once, in the main thread,
 * into a `SharedArrayBuffer`; every worker reads its rows of the batch and
 * the whole parameters through typed-array views of that buffer, so nothing
 * is serialised or copied per worker. Buffers are reused from run to run.
 * Outputs come back as `ArrayBuffer`s *transferred* (moved, not copied) from
 * the worker, and are combined into fresh arrays the caller owns. Feeds are
 * validated in the main thread, and never mutated.
 *
 * **Determinism.** For a given number of workers the shard boundaries and
 * the order of every sum are fixed, so repeated runs (and training runs with
 * the same seed) give identical results, bit for bit. Across different
 * worker counts, and against the CPU backend, results differ only by the
 * order in which the samples' contributions are added: with f64 that is far
 * below 1e-12 relative for a training step. With f32 each shard's partial
 * sum is rounded to float32 and then the partial sums are added (and rounded)
 * once more, instead of one running float32 sum over all M samples; the
 * rounding errors therefore differ, by about float32's precision (1e-7
 * relative) per step, and over a training run the paths drift apart the way
 * any two float32 summation orders do. Use f64 where results must agree
 * across worker counts.
 *
 * **Faults.** A worker that throws, exits or is terminated while it holds a
 * run makes that run resolve to a `WorkerFailed` error with a one-line
 * message (`worker 1 failed: exited with code 7 before answering`); a
 * dead worker is replaced by a fresh thread on the next run. Callers'
 * tensors are never written, so parameters held by the caller are intact.
 * There is no timeout: a worker stuck in a loop is ended by `dispose`.
 *
 * **Threads.** One backend owns a pool of `workers` threads (default
 * `os.availableParallelism()`), shared by all its executables, started by
 * the first compile and terminated when the last executable is disposed;
 * `dispose()` resolves once they have exited. Idle threads are unreferenced,
 * so they never keep the process from exiting; a thread with a run in flight
 * is referenced, so awaiting a run does. Worker threads end with the
 * process in any case.
 *
 * **Where the worker code comes from.** Built JavaScript starts `worker.js`
 * from `dist`. When this package runs from its TypeScript source (vitest,
 * or tsx with the `@backprop/source` condition), each worker registers tsx's
 * loader in its own thread and imports `worker.ts`, with the same condition;
 * tsx must then be installed.
 *
 * @example
 * ```ts
 * import { workersBackend } from '@backprop/backend-workers'
 *
 * train({ model, backend: workersBackend({ workers: 2 }), data, params, optimizer, epochs: 5, batchSize: 512 })
 * ```
 *
 * @packageDocumentation
 */
export {
  MAX_WORKERS,
  type WorkersBackend,
  type WorkersBackendOptions,
  workersBackend,
} from './backend.js'
export type { WorkersExecutable } from './executable.js'
export { parseWorkersSpec } from './spec.js'
