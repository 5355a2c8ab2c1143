import { availableParallelism } from 'node:os'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  type Backend,
  type BackendError,
  checkOutputs,
  checkUpdates,
  type CompileOptions,
  type FeedSpec,
  feedSpecs,
  internalError,
  isStateful,
  outputSpecs,
  type ParamUpdate,
  type StatefulExecutable,
} from '@backprop/backend'
import { cpuBackend, type CpuBackend, type CpuExecutable } from '@backprop/backend-cpu'
import { fromJson, type Graph, type GraphJson, type NodeId } from '@backprop/graph'
import { workersExecutable, type WorkersExecutable } from './runtime/executable.js'
import { heldExecutable, type HeldWorkersExecutable, wholeHeldExecutable } from './runtime/held.js'
import { planHeld, planShards } from './splitting/plan.js'
import { type PoolHooks, WorkerPool } from './runtime/pool.js'
import { shardRunner } from './runtime/shard-run.js'

/**
 * The largest `workers` count one backend may have (the calling thread and
 * `MAX_WORKERS - 1` worker threads).
 *
 * @category Backend
 */
export const MAX_WORKERS = 256

/**
 * The default {@link WorkersBackendOptions.minFlops}: about where splitting
 * starts to pay on two cores. Since the CPU backend computes its products
 * with fused multiply-adds, it takes the MNIST 784-128-10 training step
 * (with its update) about 1.3 times as fast as before, while what a split
 * step pays for the round trip stayed, so the step repays splitting only
 * at larger batches than it did. Holding the parameters, `workers: 2`
 * against the CPU backend, in one process, alternating, in four runs: 0.5
 * to 0.8 times as fast at batch 32 (13 million flops), 0.6 to 0.9 at 64
 * (26 million), 0.7 to 1.35 at 96 (40 million), 0.9 to 1.2 at 128 (53
 * million) and 1.4 to 1.6 at 192 (79 million). So that step splits from
 * batch 128 on, and smaller batches and iris-sized networks run whole, as
 * fast as on the CPU backend.
 *
 * @category Backend
 */
export const DEFAULT_MIN_FLOPS = 50_000_000

/**
 * How long a compile that splits waits, at most, for the workers to say
 * that their shards are compiled and warmed up (see
 * `ShardRunner.awaitLoaded`): far more than a started worker needs (tens of
 * milliseconds for the MNIST step), so that it only runs out for a worker
 * that is still booting or has died, whose first run then waits or fails
 * as it would have anyway.
 */
const LOAD_WAIT_MS = 2000

/**
 * Options of {@link workersBackend}.
 *
 * @category Backend
 */
export interface WorkersBackendOptions {
  /**
   * Number of participants that split each batch, an integer from 1 to
   * {@link MAX_WORKERS}: the calling thread, which computes shard 0 itself,
   * and `workers - 1` worker threads; by default
   * `os.availableParallelism()`, one per core. `workers: 1` starts no
   * thread at all.
   */
  readonly workers?: number
  /**
   * The least work per run, in floating-point operations as estimated from
   * the graph (2 m n k per matrix product, one per element elsewhere), for
   * which runs are split: handing a worker its share of a run costs some
   * tens of microseconds, more than a small graph takes whole, so smaller
   * graphs run whole in the calling thread, as on the CPU backend, with an
   * `unsplitReason` saying so. Default {@link DEFAULT_MIN_FLOPS}; `0`
   * splits every graph that can be split (the tests do, to exercise
   * splitting on small graphs).
   */
  readonly minFlops?: number
}

/**
 * The workers {@link Backend}, whose `compile` returns
 * {@link WorkersExecutable}s.
 *
 * @category Backend
 */
export interface WorkersBackend extends Backend {
  /** Batch inputs given in a `SharedArrayBuffer` are read by the workers in place: no copy per run. */
  readonly sharedBatchInputs: true
  /** The number of participants runs are spread over: the calling thread and `workers - 1` worker threads. */
  readonly workers: number
  /**
   * Compiles `outputs` of `graph`; see {@link Backend.compile} and
   * {@link workersBackend}. With `updates`, the executable holds the
   * parameters (a {@link HeldWorkersExecutable}).
   */
  compile(graph: Graph, outputs: readonly NodeId[], options?: CompileOptions): E.Either<BackendError, WorkersExecutable>
  /**
   * The worker threads running right now (started and not yet exited), at
   * most `workers - 1`. It is 0 before the first compile of a split graph
   * and again once every executable has been disposed.
   */
  runningWorkers(): number
  /**
   * Starts every worker thread now, without waiting for them, rather than
   * at the first compile that splits, and keeps them until
   * {@link WorkersBackend.dispose} instead of ending them with the last
   * executable: so that a thread boots while the caller does something
   * else (loads its data, say) and boots once for every run the backend
   * serves. Idle threads still never keep the process alive.
   */
  start(): void
  /**
   * Undoes {@link WorkersBackend.start}: the threads end once every
   * executable is disposed too (at once if none is left). Resolves when
   * the threads it ended have exited.
   */
  dispose(): Promise<void>
}

/** The CPU backend's executable of shard 0, which the calling thread computes. */
const localExecutable = (cpu: CpuBackend, json: GraphJson): E.Either<BackendError, CpuExecutable> => {
  const read = fromJson(json)
  if (E.isLeft(read)) return E.left(internalError(`shard 0's graph does not load: ${read.left.message}`))
  return cpu.compile(read.right.graph, read.right.outputs)
}

/** The CPU executable of `graph` with `updates`, which holds their parameters. */
const heldCpu = (
  cpu: CpuBackend,
  graph: Graph,
  outputs: readonly NodeId[],
  updates: readonly ParamUpdate[],
): E.Either<BackendError, CpuExecutable & StatefulExecutable> =>
  pipe(
    cpu.compile(graph, outputs, { updates }),
    E.flatMap((exe) =>
      isStateful(exe) ? E.right(exe as CpuExecutable & StatefulExecutable) : E.left(internalError('the CPU backend did not hold the parameters')),
    ),
  )

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
  const minFlops = options.minFlops ?? DEFAULT_MIN_FLOPS
  if (!(minFlops >= 0)) throw new RangeError(`minFlops must be a number of at least 0, got ${options.minFlops}`)
  // Slot 0 is the calling thread: the pool starts threads in slots 1 to workers - 1 only.
  const pool = new WorkerPool(workers, hooks)
  // Feeds are validated once per run, by the executable, before shard 0 sees views of them.
  const cpu = cpuBackend({ validateFeeds: false })
  let compiled = 0
  return {
    name: 'workers',
    // A worker reads its rows of a batch input in shared memory where they are, rather than from a copy in the run buffer.
    sharedBatchInputs: true,
    workers,
    runningWorkers: () => pool.running,
    start: () => pool.start(),
    dispose: () => pool.stop(),
    compile: (graph, outputs, compileOptions) =>
      pipe(
        checkOutputs(graph, outputs),
        E.flatMap(() => checkUpdates(graph, compileOptions?.updates ?? [])),
        E.flatMap(() => {
          const updates = compileOptions?.updates ?? []
          return updates.length === 0
            ? compileFed(graph, outputs, compileOptions?.batchInputs)
            : compileHeld(graph, outputs, updates, compileOptions?.batchInputs)
        }),
      ),
  }

  /**
   * Runs `compile` holding a lease on the pool, so that threads it starts
   * (a shard runner sends the workers their graphs before the calling
   * thread compiles its own) end should it fail; an executable it makes
   * holds a lease of its own.
   */
  function leased<A>(compile: () => A): A {
    pool.acquire()
    try {
      return compile()
    } finally {
      void pool.release()
    }
  }

  function compileFed(graph: Graph, outputs: readonly NodeId[], batchInputs: readonly string[] | undefined): E.Either<BackendError, WorkersExecutable> {
    const specs = feedSpecs(graph, outputs)
    if (E.isLeft(specs)) return specs
    const plan = planShards(graph, outputs, batchInputs, workers, minFlops)
    return leased(() => {
      const runner = plan.unsplit === undefined ? shardRunner(pool, compiled++, plan, specs.right) : undefined
      const local = localExecutable(cpu, plan.shards[0]!.graph)
      if (E.isLeft(local)) {
        runner?.unload()
        return local
      }
      const exe = workersExecutable(pool, plan, runner, local.right, specs.right, outputSpecs(graph, outputs))
      runner?.awaitLoaded(LOAD_WAIT_MS)
      return E.right(exe)
    })
  }

  function compileHeld(
    graph: Graph,
    outputs: readonly NodeId[],
    updates: readonly ParamUpdate[],
    batchInputs: readonly string[] | undefined,
  ): E.Either<BackendError, HeldWorkersExecutable> {
    const plan = planHeld(graph, outputs, updates, batchInputs, workers, minFlops)
    if (E.isLeft(plan)) return E.map((exe: CpuExecutable & StatefulExecutable) => wholeHeldExecutable(exe, plan.left))(heldCpu(cpu, graph, outputs, updates))
    const { after, sources, shardOutputs } = plan.right
    const later = sources.filter((s) => s.from === 'after').length
    const values = after.roots.slice(later)
    const shardSpecs = feedSpecs(graph, shardOutputs)
    if (E.isLeft(shardSpecs)) return shardSpecs
    const specs = feedSpecs(graph, [...outputs, ...updates.map((u) => u.value)])
    if (E.isLeft(specs)) return specs
    // The held parameters that the shards read live in the run buffer; `after` writes their new values there.
    const read = new Set(shardSpecs.right.flatMap((s) => (s.required ? [s.name] : [])))
    const inBuffer = updates.flatMap((u, j) => (read.has(u.param) ? [{ name: u.param, value: values[j]! }] : []))
    const afterUpdates = updates.map((u, j) => ({ param: u.param, value: values[j]! }))
    const held = new Set(updates.map((u) => u.param))
    const publicSpecs: FeedSpec[] = specs.right.map((s) => (held.has(s.name) ? { ...s, required: false } : s))
    return leased(() => {
      // The workers compile their shard graphs while this thread compiles shard 0's and the update's.
      const runner = shardRunner(pool, compiled++, plan.right.shards, shardSpecs.right)
      const local = localExecutable(cpu, plan.right.shards.shards[0]!.graph)
      if (E.isLeft(local)) {
        runner.unload()
        return local
      }
      const afterExe = heldCpu(cpu, after.graph, [...after.roots.slice(0, later), ...inBuffer.map((h) => h.value)], afterUpdates)
      if (E.isLeft(afterExe)) {
        runner.unload()
        void local.right.dispose()
        return afterExe
      }
      const exe = heldExecutable(pool, plan.right, runner, local.right, afterExe.right, inBuffer.map((h) => h.name), publicSpecs, outputSpecs(graph, outputs))
      runner.awaitLoaded(LOAD_WAIT_MS)
      return E.right(exe)
    })
  }
}

/**
 * A data-parallel backend: each run is split along the batch axis into
 * `workers` shards; the calling thread computes shard 0 with the CPU
 * backend while worker thread k computes shard k, and the outputs are
 * combined in shard order. See the package documentation for how, for
 * which buffers are shared, and for what is exact.
 *
 * Pass `batchInputs` to `compile` (the trainer does) to split runs: the
 * named inputs carry the samples along axis 0. Without it, for a graph
 * whose samples do not separate, or for one too small to repay splitting
 * (see {@link WorkersBackendOptions.minFlops}), every run computes the whole
 * graph in the calling thread, as the CPU backend would: correct, not
 * faster.
 * {@link WorkersExecutable.shards} and {@link WorkersExecutable.unsplitReason}
 * say which happened.
 *
 * Threads start with the first compile that splits and end when the last
 * executable is disposed; idle threads never keep the process alive. Throws a
 * `RangeError` for a worker count that is not an integer from 1 to
 * {@link MAX_WORKERS} (see {@link parseWorkersSpec} for user input).
 *
 * @example
 * ```ts
 * const backend = workersBackend({ workers: 2 })
 * const exe = backend.compile(graph, [loss, ...gradients], { batchInputs: ['x', 't'] })
 * if (E.isRight(exe)) {
 *   const values = await exe.right.run({ x, t, ...params })  // loss and gradients of the whole batch, computed half here, half in a worker
 *   await exe.right.dispose()                                 // ends the threads
 * }
 * ```
 * @category Backend
 */
export const workersBackend = (options: WorkersBackendOptions = {}): WorkersBackend => makeWorkersBackend(options)
