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
import type { CpuExecutable } from '@backprop/backend-cpu'
import { sizeOf } from '@backprop/graph'
import { concatShards } from './combine.js'
import { controlIndex, type RunLayout, runLayout, shardViews, viewOf, WAITING, writeRows, writeShared } from './layout.js'
import type { Shard, ShardPlan } from './plan.js'
import type { PostedRun, ShardResult, WorkerPool } from './pool.js'
import { type SummingBuffer, summingBuffer } from './sum.js'

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

/** The first failure among the workers' answers, or `undefined` once all are done (without waiting for the rest after a failure, which may never answer). */
const firstFailure = (runs: readonly Promise<ShardResult>[]): Promise<{ readonly shard: number; readonly reason: string } | undefined> =>
  new Promise((resolve) => {
    let waiting = runs.length
    runs.forEach((run, shard) =>
      run.then((result) => {
        if (!result.ok) return resolve({ shard, reason: result.reason })
        waiting -= 1
        if (waiting === 0) resolve(undefined)
      }),
    )
  })

/** A run buffer with its adder, an Int32 view of it for the control words, and views of shard 0's output regions. */
interface RunBuffer extends SummingBuffer {
  readonly words: Int32Array
  readonly mine: readonly TensorData[]
}

/**
 * How long the calling thread blocks watching the workers' control words,
 * at least, before it waits for their replies instead (it also waits as
 * long as its own shard took). Waiting in the event loop lets V8 run its
 * idle-time garbage collection there, which then delays the step by
 * milliseconds; blocking keeps the step short, and costs no CPU. The
 * budget only runs out for a worker that died or is far behind.
 */
const BLOCK_MS = 50

/**
 * Watches each posted run's control word (worker k's is word k) until it
 * holds the run's id, or until `budgetMs` have passed in all. True for a
 * run that is done: its outputs are in the buffer and its worker sends no
 * reply. False for a run whose reply must be awaited: one that failed
 * (minus its id; the reply says why), was never sent, or is still running
 * when the budget is spent (its word then becomes {@link WAITING}, by a
 * compare-and-exchange from 0 that the worker's own exchange cannot miss).
 *
 * It sleeps in `Atomics.wait`, which wakes as soon as the worker stores its
 * word and notifies: at batch 64 that is about 0.2 ms sooner than a reply
 * through the event loop. (Polling the words instead was measured no
 * faster.)
 */
const watch = (words: Int32Array, posted: readonly PostedRun[], budgetMs: number): boolean[] => {
  const deadline = performance.now() + budgetMs
  return posted.map((run, j) => {
    if (!run.sent) return false
    const index = controlIndex(j + 1)
    for (;;) {
      const word = Atomics.load(words, index)
      if (word === run.id) return true
      if (word !== 0) return false
      const left = deadline - performance.now()
      if (left <= 0) return Atomics.compareExchange(words, index, 0, WAITING) === run.id
      Atomics.wait(words, index, 0, left)
    }
  })
}

/**
 * The feeds of the shard computed in the calling thread: rows
 * `[start, start + rows)` of the batched feeds as views of the caller's
 * arrays (no copy: the CPU executable copies them into its own buffers),
 * every other feed as it is.
 */
const localFeeds = (feeds: Feeds, batched: ReadonlySet<string>, start: number, rows: number): Feeds => {
  if (batched.size === 0) return feeds
  const out: Record<string, Tensor> = {}
  for (const name in feeds) {
    const t = feeds[name]!
    if (!batched.has(name)) {
      out[name] = t
      continue
    }
    const row = sizeOf(t.shape.slice(1))
    out[name] = { shape: [rows, ...t.shape.slice(1)], dtype: t.dtype, data: t.data.subarray(start * row, (start + rows) * row) }
  }
  return out
}

/**
 * Wraps a shard plan as a {@link WorkersExecutable} on `pool`, under id
 * `id`. Shard 0 (the whole graph, when runs are not split) is computed in
 * the calling thread by `local`, the CPU backend's executable of shard 0's
 * graph; shard k >= 1 by the pool's worker k, to which its shard graph is
 * sent at once. The executable holds a lease on the pool until disposed.
 *
 * A split run validates the feeds and takes a run buffer (see
 * `RunLayout`; buffers are reused by later runs, and overlapping runs each
 * get their own); copies into it what the workers read, once: the
 * parameters and other unsplit feeds, then each worker's rows, posting
 * that worker's run as soon as its rows are in place. It then computes
 * shard 0 on views of the caller's own arrays while the workers compute
 * theirs; every participant writes its outputs straight into its region of
 * the buffer (`runInto`: no per-run output arrays in any thread). It waits
 * for the workers' control words (blocking, see {@link BLOCK_MS}), or else
 * for their replies, and combines the outputs in shard order into fresh
 * arrays. A failed run drops its buffer, since a worker of that run may
 * still be using it.
 *
 * @internal
 */
export const workersExecutable = (
  pool: WorkerPool,
  id: number,
  plan: ShardPlan,
  local: CpuExecutable,
  feedSpecs: readonly FeedSpec[],
  outputSpecs: readonly TensorSpec[],
): WorkersExecutable => {
  const { shards, kinds, batched } = plan
  const layout: RunLayout = runLayout(feedSpecs, batched, shards.map((s) => s.outputs))
  const [own, ...others] = shards as [Shard, ...Shard[]]
  const rows = shards.map((s) => s.rows)
  const buffers: RunBuffer[] = []
  const newBuffer = (): RunBuffer => {
    const made = summingBuffer(layout.bytes)
    return { ...made, words: new Int32Array(made.buffer), mine: layout.results[0]!.map((view) => viewOf(made.buffer, view)) }
  }
  let disposed = false

  pool.acquire()
  for (const [j, shard] of others.entries()) {
    pool.load(shard.slot, {
      type: 'load',
      exe: id,
      graph: shard.graph,
      feeds: shardViews(layout, shard.start, shard.rows),
      results: layout.results[j + 1]!,
      control: controlIndex(j + 1),
    })
  }

  /**
   * The requested outputs from the outputs of all shards in the buffer,
   * combined in shard order: sums added up in place into shard 0's region,
   * (shard 0 + shard 1) + shard 2 ..., then copied out; slices
   * concatenated; batch-independent outputs copied from shard 0's region.
   * Every array returned is a fresh one that the caller owns, never a view
   * of the shared buffer.
   */
  const assemble = ({ buffer, add, mine }: RunBuffer): E.Either<BackendError, Tensor[]> => {
    const out: Tensor[] = []
    for (const [i, spec] of outputSpecs.entries()) {
      const kind = kinds[i]!
      const first = mine[own.results[i]!]!
      let data: TensorData
      if (kind.kind === 'sum') {
        const total = layout.results[0]![own.results[i]!]!
        for (let k = 1; k < shards.length; k++) {
          const part = layout.results[k]![shards[k]!.results[i]!]
          if (part === undefined || part.length !== total.length) return E.left(internalError(`shard ${k} has no part of output ${i}`))
          add(spec.dtype, total.byteOffset, part.byteOffset, total.length)
        }
        data = first.slice()
      } else if (kind.kind === 'concat') {
        const parts = shards.map((shard, k) => (k === 0 ? first : viewOf(buffer, layout.results[k]![shard.results[i]!]!)))
        data = concatShards(spec, kind.axis, parts, rows)
      } else {
        data = first.slice()
      }
      if (data.length !== sizeOf(spec.shape)) {
        return E.left(internalError(`output ${i} came back with ${data.length} values instead of ${sizeOf(spec.shape)}`))
      }
      out.push({ shape: spec.shape, dtype: spec.dtype, data })
    }
    return E.right(out)
  }

  /** A kernel that throws is a bug in the CPU backend, reported as such. */
  const ownFailure = (e: unknown): E.Either<BackendError, never> =>
    E.left(internalError(`shard 0 failed in the calling thread: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`))

  /** The whole graph, here and now, when runs are not split. */
  const computeWhole = (feeds: Feeds): E.Either<BackendError, Tensor[]> => {
    try {
      return local.runSync(feeds)
    } catch (e) {
      return ownFailure(e)
    }
  }

  /** Shard 0, here and now, its outputs written into its region of `taken`. */
  const computeOwn = (feeds: Feeds, taken: RunBuffer): E.Either<BackendError, void> => {
    try {
      return local.runInto(localFeeds(feeds, batched, own.start, own.rows), taken.mine)
    } catch (e) {
      return ownFailure(e)
    }
  }

  const run = async (feeds: Feeds): Promise<E.Either<BackendError, readonly Tensor[]>> => {
    if (disposed) return E.left(disposedError('workers'))
    const checked = checkFeeds(feedSpecs, feeds)
    if (E.isLeft(checked)) return checked
    if (outputSpecs.length === 0) return E.right([])
    if (others.length === 0) return computeWhole(feeds)
    const taken = buffers.pop() ?? newBuffer()
    const { buffer, words } = taken
    writeShared(buffer, layout, feeds)
    // Each worker starts as soon as its rows are in place, while the next worker's are copied.
    const posted = others.map((shard, j) => {
      writeRows(buffer, layout, feeds, shard.start, shard.rows)
      Atomics.store(words, controlIndex(j + 1), 0)
      return pool.run(shard.slot, id, buffer)
    })
    const started = performance.now()
    const mine = computeOwn(feeds, taken)
    // The workers had as much to do and started with it: watch for them here, unless they are far behind.
    const done = watch(words, posted, Math.max(BLOCK_MS, performance.now() - started))
    posted.forEach((p, j) => {
      if (done[j]) pool.claim(others[j]!.slot, p.id)
    })
    if (!done.every((d) => d)) {
      const failure = await firstFailure(posted.map((p) => p.result))
      if (disposed) return E.left(disposedError('workers'))
      if (failure !== undefined) return E.left(workerFailed(others[failure.shard]!.slot, failure.reason))
    }
    if (E.isLeft(mine)) return mine
    const out = assemble(taken)
    if (!disposed) buffers.push(taken)
    return out
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
      for (const shard of others) pool.unload(shard.slot, id)
      await local.dispose()
      await pool.release()
    },
  }
}
