import * as E from 'fp-ts/lib/Either.js'
import {
  type BackendError,
  checkFeeds,
  disposedError,
  type Executable,
  type Feeds,
  type FeedSpec,
  internalError,
  type Tensor,
  type TensorData,
  type TensorSpec,
} from '@backprop/backend'
import type { CpuExecutable } from '@backprop/backend-cpu'
import { sizeOf } from '@backprop/graph'
import type { ShardPlan } from '../splitting/plan.js'
import type { WorkerPool } from './pool.js'
import type { RunBuffer, ShardRunner } from './shard-run.js'

/**
 * A graph compiled for the workers backend. Besides the {@link Executable}
 * contract it tells whether and how its runs are split, so a caller can see
 * why a graph does not parallelise.
 *
 * @category Backend
 */
export interface WorkersExecutable extends Executable {
  /**
   * The number of samples each participant computes per run, in shard
   * order: shard 0 by the calling thread, shard k by worker thread k (e.g.
   * `[256, 256]` for a batch of 512 on `workers: 2`); or `[]` when runs are
   * not split and the calling thread computes the whole graph.
   */
  readonly shards: readonly number[]
  /**
   * Why runs are not split, when they are not: no `batchInputs` were given,
   * the backend has one participant (`workers: 1`), the batch has one
   * sample, or the first node of the graph that mixes samples (e.g.
   * `node #7 (reduceMax) takes the maximum across the batch`).
   */
  readonly unsplitReason?: string
}

/**
 * Wraps a shard plan as a {@link WorkersExecutable} on `pool`. Shard 0 (the
 * whole graph, when runs are not split) is computed in the calling thread
 * by `local`, the CPU backend's executable of shard 0's graph; shard k >= 1
 * by the pool's worker k, through `runner` (made for a split plan, which
 * sent the workers their shard graphs). The executable holds a lease on
 * the pool until disposed.
 *
 * A split run validates the feeds and takes a run buffer (see
 * `RunLayout`; buffers are reused by later runs, and overlapping runs each
 * get their own); copies into it what the workers read, once: the
 * parameters and other unsplit feeds, then each worker's rows, posting
 * that worker's run as soon as its rows are in place. It then computes
 * shard 0 on views of the caller's own arrays while the workers compute
 * theirs; every participant writes its outputs straight into its region of
 * the buffer (`runInto`: no per-run output arrays in any thread). It waits
 * for the workers (see `ShardRunner.run`) and combines the outputs in shard
 * order into fresh arrays. A failed run drops its buffer, since a worker of
 * that run may still be using it.
 *
 * @internal
 */
export const workersExecutable = (
  pool: WorkerPool,
  plan: ShardPlan,
  runner: ShardRunner | undefined,
  local: CpuExecutable,
  feedSpecs: readonly FeedSpec[],
  outputSpecs: readonly TensorSpec[],
): WorkersExecutable => {
  const split = runner !== undefined
  // One buffer made now, its pages backed before the first run; overlapping runs make more.
  const buffers: RunBuffer[] = runner === undefined ? [] : [runner.newBuffer()]
  // Shard 0 (or the whole graph) runs here: its first run's extra work is done now, as the workers do theirs (see `CpuExecutable.warmUp`).
  local.warmUp?.()
  let disposed = false
  pool.acquire()

  /**
   * The requested outputs from the shards' outputs in the buffer, in shard
   * order: sums added up in place, slices concatenated, batch-independent
   * outputs from shard 0. Every array returned is a fresh one that the
   * caller owns, never a view of the shared buffer.
   */
  const assemble = (r: ShardRunner, taken: RunBuffer): E.Either<BackendError, Tensor[]> => {
    const out: Tensor[] = []
    for (const [i, spec] of outputSpecs.entries()) {
      const kind = plan.kinds[i]!
      let data: TensorData
      if (kind.kind === 'concat') data = r.concat(taken, i, spec, kind.axis)
      else if (kind.kind === 'sum') {
        const total = r.sum(taken, i, spec.dtype)
        if (E.isLeft(total)) return total
        data = total.right.slice()
      } else data = taken.mine[plan.shards[0]!.results[i]!]!.slice()
      if (data.length !== sizeOf(spec.shape)) {
        return E.left(internalError(`output ${i} came back with ${data.length} values instead of ${sizeOf(spec.shape)}`))
      }
      out.push({ shape: spec.shape, dtype: spec.dtype, data })
    }
    return E.right(out)
  }

  const run = async (feeds: Feeds): Promise<E.Either<BackendError, readonly Tensor[]>> => {
    if (disposed) return E.left(disposedError('workers'))
    const checked = checkFeeds(feedSpecs, feeds)
    if (E.isLeft(checked)) return checked
    if (outputSpecs.length === 0) return E.right([])
    if (runner === undefined) return runWhole(local, feeds)
    const taken = buffers.pop() ?? runner.newBuffer()
    const ran = await runner.run(feeds, taken, local)
    if (disposed) return E.left(disposedError('workers'))
    // A failed run drops its buffer: a worker of that run may still be using it.
    if (E.isLeft(ran)) return ran
    const out = assemble(runner, taken)
    buffers.push(taken)
    return out
  }

  return {
    feeds: feedSpecs,
    outputs: outputSpecs,
    shards: split ? plan.shards.map((s) => s.rows) : [],
    ...(split ? {} : { unsplitReason: plan.unsplit }),
    run,
    dispose: async () => {
      if (disposed) return
      disposed = true
      buffers.length = 0
      runner?.unload()
      await local.dispose()
      await pool.release()
    },
  }
}

/**
 * The whole graph in the calling thread, as the CPU backend would run it,
 * for runs that are not split; a kernel that throws is a bug in the CPU
 * backend, reported as such.
 *
 * @internal
 */
export const runWhole = (exe: CpuExecutable, feeds: Feeds): E.Either<BackendError, Tensor[]> => {
  try {
    return exe.runSync(feeds)
  } catch (e) {
    return E.left(internalError(`the calling thread failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`))
  }
}
