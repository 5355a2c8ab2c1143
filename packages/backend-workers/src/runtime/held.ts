import * as E from 'fp-ts/lib/Either.js'
import {
  allocate,
  type BackendError,
  checkFeeds,
  disposedError,
  type Feeds,
  type FeedSpec,
  missingFeed,
  type ParamStore,
  type StatefulExecutable,
  type Tensor,
  type TensorData,
  type TensorSpec,
} from '@backprop/backend'
import type { CpuExecutable } from '@backprop/backend-cpu'
import { inputsOf, sizeOf } from '@backprop/graph'
import { runWhole, type WorkersExecutable } from './executable.js'
import { viewOf } from './layout.js'
import type { HeldPlan } from '../splitting/plan.js'
import type { WorkerPool } from './pool.js'
import type { ShardRunner } from './shard-run.js'

/**
 * A {@link WorkersExecutable} that holds parameters: what the workers
 * backend compiles when given `updates`.
 *
 * @category Backend
 */
export type HeldWorkersExecutable = WorkersExecutable & StatefulExecutable

/** Runs of `run` one after another: a held executable's runs read and write the same parameters. */
const serialised = <A, R>(run: (a: A) => Promise<R>): ((a: A) => Promise<R>) => {
  let last: Promise<unknown> = Promise.resolve()
  return (a) => {
    const next = last.then(() => run(a))
    last = next.catch(() => undefined)
    return next
  }
}

/**
 * Wraps a held plan as a {@link HeldWorkersExecutable} on `pool`, its
 * workers' shards run by `runner`. `local` is the CPU executable of shard
 * 0's graph (computed in the calling thread); `after` the CPU executable of
 * the graph after the sums,
 * compiled with the updates so that it holds every updated parameter and
 * optimiser slot, whose outputs are the requested outputs it computes and
 * then the new values of `inBuffer`, the held parameters that the shards
 * read.
 *
 * The executable has one run buffer, and `inBuffer`'s values live in their
 * feed slots there, where every shard reads them: a run copies no
 * parameter. A run validates the feeds; takes any held parameter given in
 * them (into the buffer and `after` both); runs the shards up to the sums; adds the sums up; and runs `after`
 * on them, which writes the requested outputs into fresh arrays and the new
 * parameter values straight into the buffer (and keeps them itself). A
 * run that fails applies no part of its update (held values given with it
 * are taken all the same). Runs are serialised.
 *
 * @internal
 */
export const heldExecutable = (
  pool: WorkerPool,
  plan: HeldPlan,
  runner: ShardRunner,
  local: CpuExecutable,
  after: CpuExecutable & StatefulExecutable,
  inBuffer: readonly string[],
  feedSpecs: readonly FeedSpec[],
  outputSpecs: readonly TensorSpec[],
): HeldWorkersExecutable => {
  const taken = runner.newBuffer()
  // Shard 0 and the update run here: their first runs' extra work is done now, as the workers do theirs (see `CpuExecutable.warmUp`).
  local.warmUp?.()
  after.warmUp?.()
  const slotOf = new Map(runner.layout.feeds.map((slot) => [slot.name, slot]))
  const held = new Map(
    inBuffer.map((name) => {
      const slot = slotOf.get(name)!
      return [name, viewOf(taken.buffer, { dtype: slot.dtype, byteOffset: slot.byteOffset, length: sizeOf(slot.shape) })]
    }),
  )
  const inPlace: ReadonlySet<string> = new Set(inBuffer)
  const given = new Set<string>()
  const heldFeeds: Record<string, Tensor> = {}
  for (const [name, data] of held) heldFeeds[name] = { shape: slotOf.get(name)!.shape, dtype: slotOf.get(name)!.dtype, data }
  // The sums as `after` reads them: shard 0's regions of the one buffer, where the parts are added up.
  const afterInputs = inputsOf(plan.after.graph)
  const sums = plan.after.inputs.map((name, k) => {
    const node = plan.after.graph.nodes[afterInputs.get(name)!]!
    return { name, k, shape: node.shape, dtype: node.dtype }
  })
  const later = outputSpecs.filter((_, i) => plan.sources[i]!.from === 'after')
  let disposed = false
  pool.acquire()

  /** Takes the held parameters in `values` into the buffer. */
  const take = (values: Feeds): void => {
    for (const [name, data] of held) {
      if (!Object.hasOwn(values, name)) continue
      data.set(values[name]!.data)
      given.add(name)
    }
  }

  const params: ParamStore = {
    names: after.params.names,
    read: () => after.params.read(),
    write: (values) => {
      const written = after.params.write(values)
      if (E.isRight(written)) take(values)
      return written
    },
  }

  const once = async (feeds: Feeds): Promise<E.Either<BackendError, readonly Tensor[]>> => {
    if (disposed) return E.left(disposedError('workers'))
    const checked = checkFeeds(feedSpecs, feeds)
    if (E.isLeft(checked)) return checked
    // Held values given with the run replace the held ones, in the buffer and in `after` alike, even
    // should the run then fail: the two copies never disagree.
    const replacing = params.names.filter((name) => Object.hasOwn(feeds, name))
    if (replacing.length > 0) {
      const written = params.write(Object.fromEntries(replacing.map((name) => [name, feeds[name]!])))
      if (E.isLeft(written)) return written
    }
    const missing = inBuffer.find((name) => !given.has(name))
    if (missing !== undefined) return E.left(missingFeed({ ...feedSpecs.find((s) => s.name === missing)!, kind: 'param' }))
    const ran = await runner.run({ ...feeds, ...heldFeeds }, taken, local, inPlace)
    if (disposed) return E.left(disposedError('workers'))
    if (E.isLeft(ran)) return ran
    const afterFeeds: Record<string, Tensor> = { ...feeds }
    for (const s of sums) {
      const total = runner.sum(taken, s.k, s.dtype)
      if (E.isLeft(total)) return total
      afterFeeds[s.name] = { shape: s.shape, dtype: s.dtype, data: total.right }
    }
    const fresh: TensorData[] = later.map((spec) => allocate(spec.dtype, sizeOf(spec.shape)))
    const updated = after.runInto(afterFeeds, [...fresh, ...held.values()])
    if (E.isLeft(updated)) return updated
    return E.right(
      outputSpecs.map((spec, i) => {
        const source = plan.sources[i]!
        const kind = plan.shards.kinds[source.index]
        const data =
          source.from === 'after' ? fresh[source.index]! : runner.concat(taken, source.index, spec, kind?.kind === 'concat' ? kind.axis : 0)
        return { shape: spec.shape, dtype: spec.dtype, data }
      }),
    )
  }

  return {
    feeds: feedSpecs,
    outputs: outputSpecs,
    shards: runner.rows,
    params,
    run: serialised(once),
    dispose: async () => {
      if (disposed) return
      disposed = true
      runner.unload()
      await local.dispose()
      await after.dispose()
      await pool.release()
    },
  }
}

/**
 * A held executable whose runs are not split: `exe`, the CPU backend's
 * executable of the whole graph with the updates, run in the calling
 * thread after the feeds are validated (the workers backend's CPU backend
 * does not validate them itself), with `reason` as its
 * {@link WorkersExecutable.unsplitReason}.
 *
 * @internal
 */
export const wholeHeldExecutable = (exe: CpuExecutable & StatefulExecutable, reason: string): HeldWorkersExecutable => {
  let disposed = false
  exe.warmUp?.()
  return {
    feeds: exe.feeds,
    outputs: exe.outputs,
    shards: [],
    unsplitReason: reason,
    params: exe.params,
    run: async (feeds) => {
      if (disposed) return E.left(disposedError('workers'))
      const checked = checkFeeds(exe.feeds, feeds)
      return E.isLeft(checked) ? checked : runWhole(exe, feeds)
    },
    dispose: async () => {
      disposed = true
      await exe.dispose()
    },
  }
}
