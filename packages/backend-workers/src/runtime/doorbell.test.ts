import { type Feeds, tensor } from '@backprop/backend'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import type { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { makeWorkersBackend } from '../backend.js'
import type { PoolHooks } from './pool.js'

/** A backend whose threads count the run messages posted to them, and a promise of their exits. */
const counted = (hooks: Omit<PoolHooks, 'onSpawn'> = {}) => {
  let runMessages = 0
  const exits: Promise<number>[] = []
  const backend = makeWorkersBackend(
    { workers: 2, minFlops: 0 },
    {
      ...hooks,
      onSpawn: (_slot, worker: Worker) => {
        exits.push(new Promise((resolve) => worker.once('exit', resolve)))
        const post = worker.postMessage.bind(worker)
        worker.postMessage = (message: { type?: string }, ...rest: unknown[]) => {
          if (message?.type === 'run') runMessages += 1
          return (post as (...args: unknown[]) => void)(message, ...rest)
        }
      },
    },
  )
  return { backend, runMessages: () => runMessages, allExited: () => Promise.all(exits) }
}

const { graph, result } = buildOrThrow(emptyGraph, (b) => {
  const x = b.input('x', [4, 2])
  return b.sum(b.square(b.matmul(x, b.param('W', [2, 2]))))
})
const feedsOf = (scale: number): Feeds => ({ x: tensor([1, 2, 3, 4, 5, 6, 7, 8].map((v) => v * scale), [4, 2]), W: tensor([0.5, -1, 2, 0.25], [2, 2]) })
/** sum((x W)^2) of {@link feedsOf}(scale), by hand: (x W) rows are [4.5s, -0.5s], [9.5s, -2s], [14.5s, -3.5s], [19.5s, -5s]. */
const expected = (scale: number): number => (20.25 + 0.25 + 90.25 + 4 + 210.25 + 12.25 + 380.25 + 25) * scale * scale

const compile = (backend: ReturnType<typeof counted>['backend']) => {
  const exe = backend.compile(graph, [result], { batchInputs: ['x'] })
  if (E.isLeft(exe)) throw new Error(exe.left.message)
  expect(exe.right.shards).toEqual([2, 2])
  return exe.right
}

const valueOf = async (run: ReturnType<ReturnType<typeof compile>['run']>): Promise<number> => {
  const out = await run
  if (E.isLeft(out)) throw new Error(out.left.message)
  return out.right[0]!.data[0]!
}

describe('the doorbell', () => {
  it('starts the runs after the first without a message, computing the same', async () => {
    const { backend, runMessages } = counted()
    const exe = compile(backend)
    const runs = 20
    for (let k = 1; k <= runs; k++) {
      expect(await valueOf(exe.run(feedsOf(k))), `run ${k}`).toBe(expected(k))
      // As a trainer does between steps, leave the worker a moment to get back to its doorbell: runs of
      // this tiny graph back to back on a busy machine would often find it not there yet (and post).
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    // The first run is posted; the next ones, on the same run buffer, ring the waiting worker.
    expect(runMessages()).toBeGreaterThanOrEqual(1)
    expect(runMessages()).toBeLessThanOrEqual(runs / 2)
    await exe.dispose()
  })

  it('wakes a waiting worker for every message: a new executable, runs on another buffer, an unload; and dispose ends it', async () => {
    // Without the wake-up the worker would sit at its doorbell for ten minutes, far beyond the test's time.
    const { backend, runMessages, allExited } = counted({ parkMs: 600_000 })
    const first = compile(backend)
    expect(await valueOf(first.run(feedsOf(1)))).toBe(expected(1))
    // The worker now waits at its doorbell; the load of a second executable is a message.
    const second = compile(backend)
    expect(await valueOf(second.run(feedsOf(2)))).toBe(expected(2))
    // Two overlapping runs of the first: the second takes a run buffer of its own, so its run is a message.
    const posted = runMessages()
    const both = await Promise.all([valueOf(first.run(feedsOf(3))), valueOf(first.run(feedsOf(4)))])
    expect(both).toEqual([expected(3), expected(4)])
    expect(runMessages()).toBeGreaterThan(posted)
    await second.dispose()
    expect(await valueOf(first.run(feedsOf(5)))).toBe(expected(5))
    await first.dispose()
    expect(await allExited()).toHaveLength(1)
  })
})
