import { type Feeds, tensor } from '@backprop/backend'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { type EpochEvent, eventParams, sgd, type TrainErrorEvent, type TrainEvent, train } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import type { Worker } from 'node:worker_threads'
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { makeWorkersBackend } from './backend.js'
import type { PoolHooks } from './runtime/pool.js'
import { toyData, toyModel, toyParams } from './testing/toy-training.js'

/** A backend with `hooks` that records every thread it starts and a promise of each one's exit. */
const watched = (workers: number, hooks: Omit<PoolHooks, 'onSpawn'> = {}) => {
  const spawned: Worker[] = []
  const exits: Promise<number>[] = []
  const backend = makeWorkersBackend(
    { workers, minFlops: 0 },
    {
      ...hooks,
      onSpawn: (_slot, worker) => {
        spawned.push(worker)
        exits.push(new Promise((resolve) => worker.once('exit', resolve)))
      },
    },
  )
  return { backend, spawned, allExited: () => Promise.all(exits) }
}

const { graph, result } = buildOrThrow(emptyGraph, (b) => {
  const x = b.input('x', [4, 2])
  return b.sum(b.square(b.matmul(x, b.param('W', [2, 2]))))
})
const feeds: Feeds = { x: tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), W: tensor([0.5, -1, 2, 0.25], [2, 2]) }
const copies = (f: Feeds) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, Array.from(t.data)]))

const compile = (backend: ReturnType<typeof watched>['backend']) => {
  const exe = backend.compile(graph, [result], { batchInputs: ['x'] })
  if (E.isLeft(exe)) throw new Error(exe.left.message)
  expect(exe.right.shards).toEqual([2, 2])
  return exe.right
}

describe('faults', () => {
  it('fails the run of a worker that exits mid-step with a one-line WorkerFailed, and replaces the worker', async () => {
    const { backend, spawned, allExited } = watched(2, { fault: { slot: 1, atRun: 2, kind: 'exit' } })
    const exe = compile(backend)
    const before = copies(feeds)
    const first = await exe.run(feeds)
    expect(E.isRight(first)).toBe(true)
    const failed = await exe.run(feeds)
    expect(failed).toEqual(
      E.left({ _tag: 'WorkerFailed', worker: 1, message: 'worker 1 failed: exited with code 7 before answering' }),
    )
    expect(copies(feeds)).toEqual(before)
    // The next run gets a fresh thread in slot 1 (whose own second run is far away) and the same result as the first.
    expect(await exe.run(feeds)).toEqual(first)
    // Shard 0 is computed in the calling thread: one thread, and its replacement.
    expect(spawned).toHaveLength(2)
    await exe.dispose()
    expect(await allExited()).toHaveLength(2)
    expect(backend.runningWorkers()).toBe(0)
  })

  it('reports a worker that throws an uncaught error', async () => {
    const { backend, allExited } = watched(3, { fault: { slot: 2, atRun: 1, kind: 'throw' } })
    const exe = backend.compile(graph, [result], { batchInputs: ['x'] })
    if (E.isLeft(exe)) throw new Error(exe.left.message)
    expect(exe.right.shards).toEqual([2, 1, 1])
    const failed = await exe.right.run(feeds)
    expect(E.isLeft(failed) && failed.left).toEqual({
      _tag: 'WorkerFailed',
      worker: 2,
      message: 'worker 2 failed: threw Error: staged fault at run 1',
    })
    await exe.right.dispose()
    await allExited()
    expect(backend.runningWorkers()).toBe(0)
  })

  it('reports a worker terminated while it holds a run', async () => {
    // Slot 1's thread hangs in its second run; the hook terminates it right after posting that run.
    let posted = 0
    const { backend, allExited } = watched(2, {
      fault: { slot: 1, atRun: 2, kind: 'hang' },
      onRunPosted: (slot, worker) => {
        if (slot === 1 && ++posted === 2) void worker.terminate()
      },
    })
    const exe = compile(backend)
    expect(E.isRight(await exe.run(feeds))).toBe(true)
    const failed = await exe.run(feeds)
    expect(E.isLeft(failed) && failed.left._tag).toBe('WorkerFailed')
    expect(E.isLeft(failed) && failed.left.message).toBe('worker 1 failed: exited with code 1 before answering')
    await exe.dispose()
    await allExited()
    expect(backend.runningWorkers()).toBe(0)
  })

  it('ends a hung worker when the executable is disposed', async () => {
    const { backend, allExited } = watched(2, { fault: { slot: 1, atRun: 1, kind: 'hang' } })
    const exe = compile(backend)
    const running = exe.run(feeds)
    await exe.dispose()
    expect(await running).toEqual(E.left({ _tag: 'Disposed', message: 'cannot run: this workers executable has been disposed' }))
    await allExited()
    expect(backend.runningWorkers()).toBe(0)
  })

  it('ends runs in flight with a Disposed error when the executable is disposed', async () => {
    const { backend, allExited } = watched(2)
    const exe = compile(backend)
    const running = exe.run(feeds)
    await exe.dispose()
    const out = await running
    // Either the run finished before the threads were terminated, or it was cut short.
    if (E.isLeft(out)) expect(out.left._tag).toBe('Disposed')
    await allExited()
    expect(backend.runningWorkers()).toBe(0)
  })
})

describe('faults during training', () => {
  // 8 samples in batches of 4: two steps per epoch, each step one run per worker.
  const [data, model, params] = [toyData, toyModel, toyParams]

  it('ends the run with an error event, keeps the parameters of the last good step, and leaves no worker running', async () => {
    const { backend, spawned, allExited } = watched(2, { fault: { slot: 1, atRun: 3, kind: 'exit' } })
    const before = copies(params)
    const events: TrainEvent[] = await lastValueFrom(
      train({ model, backend, data, params, optimizer: sgd({ lr: 0.1 }), epochs: 3, batchSize: 4, seed: 1 }).pipe(toArray()),
    )
    expect(events.map((e) => e.type)).toEqual(['step', 'step', 'epoch', 'error'])
    const epoch = events[2] as EpochEvent
    const error = events[3] as TrainErrorEvent
    expect(error.step).toBe(3)
    expect(error.message).toBe(
      'step 3 (epoch 2): the workers backend failed: worker 1 failed: exited with code 7 before answering; ' +
        'the parameters are kept from step 2; no checkpoint has been written',
    )
    const kept = eventParams(error)!
    const afterEpoch1 = eventParams(epoch)!
    for (const name of Object.keys(params)) expect(Array.from(kept[name]!.data)).toEqual(Array.from(afterEpoch1[name]!.data))
    expect(copies(params)).toEqual(before)
    expect(await allExited()).toHaveLength(spawned.length)
    expect(backend.runningWorkers()).toBe(0)
  })

  it('leaves no worker running after the subscriber unsubscribes mid-run', async () => {
    const { backend, spawned, allExited } = watched(2)
    const events = train({ model, backend, data, params, optimizer: sgd({ lr: 0.1 }), epochs: 1000, batchSize: 4, seed: 1 })
    // firstValueFrom unsubscribes as soon as the third step arrives.
    const third = await firstValueFrom(events.pipe(filter((e) => e.type === 'step' && e.step === 3)))
    expect(third.type).toBe('step')
    expect(spawned).toHaveLength(1)
    expect(await allExited()).toHaveLength(1)
    expect(backend.runningWorkers()).toBe(0)
  })
})
