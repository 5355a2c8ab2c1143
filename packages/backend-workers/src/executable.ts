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
  workerFailed,
} from '@backprop/backend'
import { sizeOf } from '@backprop/graph'
import { combine } from './combine.js'
import { type FeedLayout, feedLayout, shardViews, writeRows, writeShared } from './layout.js'
import type { ShardPlan } from './plan.js'
import type { ShardResult, WorkerPool } from './pool.js'

/**
 * A graph compiled for the workers backend. Besides the {@link Executable}
 * contract it tells whether and how its runs are split, so a caller can see
 * why a graph does not parallelise.
 *
 * @category Backend
 */
export interface WorkersExecutable extends Executable {
  /**
   * The number of samples each worker computes per run, in shard order
   * (e.g. `[256, 256]` for a batch of 512 on two workers), or `[]` when runs
   * are not split and the whole graph runs on one worker.
   */
  readonly shards: readonly number[]
  /**
   * Why runs are not split, when they are not: no `batchInputs` were given,
   * the backend has one worker, the batch has one sample, or the first node
   * of the graph that mixes samples (e.g. `node #7 (reduceMax) takes the
   * maximum across the batch`).
   */
  readonly unsplitReason?: string
}

type Gathered = { readonly ok: true; readonly outputs: readonly (readonly TensorData[])[] } | { readonly ok: false; readonly shard: number; readonly reason: string }

/** All shards' results, or the first failure to arrive (without waiting for the others, which may never answer). */
const gather = (runs: readonly Promise<ShardResult>[]): Promise<Gathered> =>
  new Promise((resolve) => {
    const outputs: (readonly TensorData[])[] = new Array(runs.length)
    let waiting = runs.length
    runs.forEach((run, shard) =>
      run.then((result) => {
        if (!result.ok) return resolve({ ok: false, shard, reason: result.reason })
        outputs[shard] = result.outputs
        waiting -= 1
        if (waiting === 0) resolve({ ok: true, outputs })
      }),
    )
  })

/**
 * Wraps a shard plan as a {@link WorkersExecutable} on `pool`, under id
 * `id`: sends each shard graph to its worker at once and takes a lease on
 * the pool until disposed.
 *
 * A run validates the feeds, copies the required ones once into a
 * SharedArrayBuffer (buffers are reused by later runs, and overlapping runs
 * each get their own): first the parameters and other unsplit feeds, then
 * each shard's rows, posting the shard's message as soon as its rows are
 * in place. It then combines the shards' outputs in shard order. A failed run drops its buffer, since a
 * worker of that run may still be reading it.
 *
 * @internal
 */
export const workersExecutable = (
  pool: WorkerPool,
  id: number,
  plan: ShardPlan,
  feedSpecs: readonly FeedSpec[],
  outputSpecs: readonly TensorSpec[],
): WorkersExecutable => {
  const layout: FeedLayout = feedLayout(feedSpecs, plan.batched)
  const { shards, kinds } = plan
  const rows = shards.map((s) => s.rows)
  const buffers: SharedArrayBuffer[] = []
  let disposed = false

  pool.acquire()
  for (const shard of shards) {
    pool.load(shard.slot, { type: 'load', exe: id, graph: shard.graph, feeds: shardViews(layout, shard.start, shard.rows) })
  }

  const assemble = (parts: readonly (readonly TensorData[])[]): E.Either<BackendError, Tensor[]> => {
    const out: Tensor[] = []
    for (const [i, spec] of outputSpecs.entries()) {
      const pieces = shards.flatMap((shard, k) => (shard.results[i]! < 0 ? [] : [parts[k]![shard.results[i]!]!]))
      const data = combine(kinds[i]!, spec, pieces, rows)
      if (data === undefined || data.length !== sizeOf(spec.shape)) {
        return E.left(internalError(`output ${i} came back with ${data?.length} values instead of ${sizeOf(spec.shape)}`))
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
    const buffer = buffers.pop() ?? new SharedArrayBuffer(layout.bytes)
    writeShared(buffer, layout, feeds)
    // Each shard starts as soon as its rows are in place, while the next shard's are copied.
    const runs = shards.map((shard) => {
      writeRows(buffer, layout, feeds, shard.start, shard.rows)
      return pool.run(shard.slot, id, buffer)
    })
    const gathered = await gather(runs)
    if (!gathered.ok) {
      if (disposed) return E.left(disposedError('workers'))
      return E.left(workerFailed(shards[gathered.shard]!.slot, gathered.reason))
    }
    if (!disposed) buffers.push(buffer)
    return assemble(gathered.outputs)
  }

  return {
    feeds: feedSpecs,
    outputs: outputSpecs,
    shards: plan.unsplit === undefined ? rows : [],
    ...(plan.unsplit === undefined ? {} : { unsplitReason: plan.unsplit }),
    run,
    dispose: async () => {
      if (disposed) return
      disposed = true
      buffers.length = 0
      for (const shard of shards) pool.unload(shard.slot, id)
      await pool.release()
    },
  }
}
