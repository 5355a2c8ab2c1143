import * as E from 'fp-ts/lib/Either.js'
import { type BackendError, type Feeds, type FeedSpec, internalError, type Tensor, type TensorData, type TensorSpec, workerFailed } from '@backprop/backend'
import { type CpuExecutable, touchPages } from '@backprop/backend-cpu'
import { sizeOf } from '@backprop/graph'
import { concatShards } from './combine.js'
import { controlIndex, type RunLayout, rowsInPlace, runLayout, shardViews, viewOf, WAITING, writeRows, writeShared } from './layout.js'
import type { Shard, ShardPlan } from '../splitting/plan.js'
import type { PostedRun, ShardResult, WorkerPool } from './pool.js'
import { type SummingBuffer, summingBuffer } from './sum.js'

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

/**
 * A run buffer with its adder, an Int32 view of it for the control words,
 * and views of shard 0's output regions (where the calling thread writes
 * its outputs, and where sums are added up).
 *
 * @internal
 */
export interface RunBuffer extends SummingBuffer {
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
 * The split runs of one executable: shard 0 in the calling thread, shard k
 * in the pool's worker k, all on one run buffer at a time (see
 * `RunLayout`). What the shards' outputs become is up to the executable:
 * it adds up sums and concatenates slices with {@link ShardRunner.sum} and
 * {@link ShardRunner.concat}.
 *
 * @internal
 */
export interface ShardRunner {
  /** Samples per shard, in shard order. */
  readonly rows: readonly number[]
  /** The buffer's slot of each feed the shards read, by name. */
  readonly layout: RunLayout
  /**
   * A fresh run buffer for this executable, every page of it written once
   * (see `touchPages`).
   */
  newBuffer(): RunBuffer
  /**
   * Blocks until every worker says that its shard is compiled and warmed
   * up, or `budgetMs` have passed in all (a worker that is still starting,
   * or that died, is then left to the first run to wait for or report).
   * The compile that made the runner ends with it, so that the runs that
   * follow find every shard ready.
   */
  awaitLoaded(budgetMs: number): void
  /**
   * Runs every shard on `feeds` (validated): copies the unsplit feeds not
   * named in `inPlace` into the buffer (those are there already), then
   * each worker's rows, posting the worker's run as soon as they are in
   * place; computes shard 0 here with `local` (the CPU executable of shard
   * 0's graph) on views of the caller's arrays, its outputs written into
   * shard 0's region; then waits for the workers' control words (blocking,
   * see {@link BLOCK_MS}), or else for their replies. Right once every
   * shard's outputs are in the buffer; a `WorkerFailed` error names the
   * first worker that failed.
   */
  run(feeds: Feeds, taken: RunBuffer, local: CpuExecutable, inPlace?: ReadonlySet<string>): Promise<E.Either<BackendError, void>>
  /** Adds the workers' parts of shard output `i` to shard 0's, in shard order, in place: the view of the total. */
  sum(taken: RunBuffer, i: number, dtype: TensorSpec['dtype']): E.Either<BackendError, TensorData>
  /** Shard output `i` of every shard, concatenated along `axis` in shard order into a fresh array of `spec`. */
  concat(taken: RunBuffer, i: number, spec: TensorSpec, axis: number): TensorData
  /** Forgets the shard graphs in the workers. */
  unload(): void
}

/**
 * The {@link ShardRunner} of a split shard plan, under executable id `id`
 * on `pool`, reading the feeds of `feedSpecs` that the shards need. The
 * workers are sent their shard graphs at once: made before the calling
 * thread compiles its own shard, the runner lets the workers compile
 * theirs meanwhile.
 *
 * @internal
 */
export const shardRunner = (pool: WorkerPool, id: number, plan: ShardPlan, feedSpecs: readonly FeedSpec[]): ShardRunner => {
  const { shards, batched } = plan
  const layout = runLayout(feedSpecs, batched, shards.map((s) => s.outputs))
  const [own, ...others] = shards as [Shard, ...Shard[]]
  // Word j: worker j + 1 has its shard ready (see `LoadMessage.ready`).
  const ready = new Int32Array(new SharedArrayBuffer(4 * others.length))
  const sent = others.map((shard, j) =>
    pool.load(shard.slot, {
      type: 'load',
      exe: id,
      graph: shard.graph,
      feeds: shardViews(layout, shard.start, shard.rows),
      results: layout.results[j + 1]!,
      control: controlIndex(j + 1),
      ready: { words: ready.buffer as SharedArrayBuffer, index: j },
    }),
  )

  /** Shard 0, here and now; a kernel that throws is a bug in the CPU backend, reported as such. */
  const computeOwn = (local: CpuExecutable, feeds: Feeds, taken: RunBuffer): E.Either<BackendError, void> => {
    try {
      return local.runInto(localFeeds(feeds, batched, own.start, own.rows), taken.mine)
    } catch (e) {
      return E.left(internalError(`shard 0 failed in the calling thread: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`))
    }
  }

  return {
    rows: shards.map((s) => s.rows),
    layout,
    newBuffer: () => {
      const made = summingBuffer(layout.bytes)
      const words = new Int32Array(made.buffer)
      touchPages(made.buffer)
      return { ...made, words, mine: layout.results[0]!.map((view) => viewOf(made.buffer, view)) }
    },
    awaitLoaded: (budgetMs) => {
      const deadline = performance.now() + budgetMs
      for (const [j, posted] of sent.entries()) {
        if (!posted) continue
        for (;;) {
          const left = deadline - performance.now()
          if (Atomics.load(ready, j) !== 0 || left <= 0) break
          Atomics.wait(ready, j, 0, left)
        }
      }
    },
    run: async (feeds, taken, local, inPlace) => {
      const { buffer, words } = taken
      writeShared(buffer, layout, feeds, inPlace)
      // Each worker starts as soon as its rows are in place, while the next worker's are copied.
      const posted = others.map((shard, j) => {
        writeRows(buffer, layout, feeds, shard.start, shard.rows)
        Atomics.store(words, controlIndex(j + 1), 0)
        return pool.run(shard.slot, id, buffer, rowsInPlace(layout, feeds, shard.start))
      })
      const started = performance.now()
      const mine = computeOwn(local, feeds, taken)
      // The workers had as much to do and started with it: watch for them here, unless they are far behind.
      const done = watch(words, posted, Math.max(BLOCK_MS, performance.now() - started))
      posted.forEach((p, j) => {
        if (done[j]) pool.claim(others[j]!.slot, p.id)
      })
      if (!done.every((d) => d)) {
        const failure = await firstFailure(posted.map((p) => p.result))
        if (failure !== undefined) return E.left(workerFailed(others[failure.shard]!.slot, failure.reason))
      }
      return mine
    },
    sum: ({ add, mine }, i, dtype) => {
      const total = layout.results[0]![own.results[i]!]!
      for (let k = 1; k < shards.length; k++) {
        const part = layout.results[k]![shards[k]!.results[i]!]
        if (part === undefined || part.length !== total.length) return E.left(internalError(`shard ${k} has no part of output ${i}`))
        add(dtype, total.byteOffset, part.byteOffset, total.length)
      }
      return E.right(mine[own.results[i]!]!)
    },
    concat: ({ buffer, mine }, i, spec, axis) =>
      concatShards(
        spec,
        axis,
        shards.map((shard, k) => (k === 0 ? mine[own.results[i]!]! : viewOf(buffer, layout.results[k]![shard.results[i]!]!))),
        shards.map((s) => s.rows),
      ),
    unload: () => {
      for (const shard of others) pool.unload(shard.slot, id)
    },
  }
}
