import { availableParallelism } from 'node:os'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  type Backend,
  type BackendError,
  checkOutputs,
  type CompileOptions,
  feedSpecs,
  outputSpecs,
} from '@backprop/backend'
import type { Graph, NodeId } from '@backprop/graph'
import { workersExecutable, type WorkersExecutable } from './executable.js'
import { planShards } from './plan.js'
import { type PoolHooks, WorkerPool } from './pool.js'

/**
 * The most worker threads one backend may have.
 *
 * @category Backend
 */
export const MAX_WORKERS = 256

/**
 * Options of {@link workersBackend}.
 *
 * @category Backend
 */
export interface WorkersBackendOptions {
  /**
   * Number of worker threads, an integer from 1 to {@link MAX_WORKERS};
   * by default `os.availableParallelism()`, one per core.
   */
  readonly workers?: number
}

/**
 * The workers {@link Backend}, whose `compile` returns
 * {@link WorkersExecutable}s.
 *
 * @category Backend
 */
export interface WorkersBackend extends Backend {
  /** The number of worker threads runs are spread over. */
  readonly workers: number
  /** Compiles `outputs` of `graph`; see {@link Backend.compile} and {@link workersBackend}. */
  compile(graph: Graph, outputs: readonly NodeId[], options?: CompileOptions): E.Either<BackendError, WorkersExecutable>
  /**
   * The worker threads running right now (started and not yet exited). It
   * is 0 before the first compile and again once every executable has been
   * disposed.
   */
  runningWorkers(): number
}

/**
 * The workers backend with test hooks on its pool. {@link workersBackend}
 * is this without hooks.
 *
 * @internal
 */
export const makeWorkersBackend = (options: WorkersBackendOptions, hooks?: PoolHooks): WorkersBackend => {
  const workers = options.workers ?? availableParallelism()
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS)) {
    throw new RangeError(`workers must be an integer from 1 to ${MAX_WORKERS}, got ${workers}`)
  }
  const pool = new WorkerPool(workers, hooks)
  let compiled = 0
  return {
    name: 'workers',
    workers,
    runningWorkers: () => pool.running,
    compile: (graph, outputs, compileOptions) =>
      pipe(
        checkOutputs(graph, outputs),
        E.flatMap(() => feedSpecs(graph, outputs)),
        E.map((specs) => {
          const id = compiled++
          // Unsplit graphs go round the workers, so that several of them can run at once.
          const plan = planShards(graph, outputs, compileOptions?.batchInputs, workers, id % workers)
          return workersExecutable(pool, id, plan, specs, outputSpecs(graph, outputs))
        }),
      ),
  }
}

/**
 * A data-parallel backend: each run is split along the batch axis over
 * `workers` worker threads, each of which runs the CPU backend on its
 * shard; see the package documentation for how, and for what is exact.
 *
 * Pass `batchInputs` to `compile` (the trainer does) to split runs: the
 * named inputs carry the samples along axis 0. Without it, or for a graph
 * whose samples do not separate, every run computes the whole graph on one
 * worker: correct, not faster. {@link WorkersExecutable.shards} and
 * {@link WorkersExecutable.unsplitReason} say which happened.
 *
 * Threads start with the first compile and end when the last executable is
 * disposed; idle threads never keep the process alive. Throws a
 * `RangeError` for a worker count that is not an integer from 1 to
 * {@link MAX_WORKERS} (see {@link parseWorkersSpec} for user input).
 *
 * @example
 * ```ts
 * const backend = workersBackend({ workers: 2 })
 * const exe = backend.compile(graph, [loss, ...gradients], { batchInputs: ['x', 't'] })
 * if (E.isRight(exe)) {
 *   const values = await exe.right.run({ x, t, ...params })  // loss and gradients of the whole batch
 *   await exe.right.dispose()                                 // ends the threads
 * }
 * ```
 * @category Backend
 */
export const workersBackend = (options: WorkersBackendOptions = {}): WorkersBackend => makeWorkersBackend(options)
