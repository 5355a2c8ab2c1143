import { type Feeds, isStateful, type Tensor, tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import type { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { makeWorkersBackend } from './backend.js'
import { type WorkersExecutable, workersBackend } from './index.js'
import { maxRelativeError, runSharded } from './testing/sharded.js'

const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3))

/** A one-layer perceptron on a batch of `M`: predictions [M,2] and the sum-sse loss. */
const perceptron = (M: number) =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [M, 3])
    const y = b.tanh(b.add(b.matmul(x, b.param('W', [3, 2])), b.param('c', [2])))
    return { y, loss: b.sum(b.square(b.sub(y, b.input('t', [M, 2])))) }
  })

const feedsFor = (M: number): Feeds => ({
  x: tensor(values(M * 3, 1), [M, 3]),
  t: tensor(values(M * 2, 2), [M, 2]),
  W: tensor(values(6, 3), [3, 2]),
  c: tensor(values(2, 4), [2]),
})

const unwrap = <A>(e: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

const onCpu = (M: number): Tensor[] => {
  const { graph, result } = perceptron(M)
  return unwrap(evaluate(graph, [result.y, result.loss], feedsFor(M)))
}

describe('workers backend', () => {
  it('splits a batch into shards of the given sizes and computes what the CPU backend computes', async () => {
    const cases: [number, number, number[]][] = [
      [2, 8, [4, 4]],
      [2, 7, [4, 3]],
      [3, 7, [3, 2, 2]],
      [4, 3, [1, 1, 1]],
      [3, 1, []],
    ]
    for (const [workers, M, shards] of cases) {
      const backend = workersBackend({ workers, minFlops: 0 })
      const { graph, result } = perceptron(M)
      const exe = unwrap(backend.compile(graph, [result.y, result.loss], { batchInputs: ['x', 't'] }))
      expect(exe.shards, `${workers} workers, batch ${M}`).toEqual(shards)
      expect(exe.unsplitReason).toBe(shards.length === 0 ? 'a batch of 1 sample(s) is not split' : undefined)
      const out = unwrap(await exe.run(feedsFor(M)))
      expect(maxRelativeError(out, onCpu(M)), `${workers} workers, batch ${M}`).toBeLessThan(1e-12)
      await exe.dispose()
      expect(backend.runningWorkers()).toBe(0)
    }
  })

  it('reads batch inputs given in shared memory where they are: the same results, bit for bit, as from plain arrays', async () => {
    const backend = workersBackend({ workers: 3, minFlops: 0 })
    expect(backend.sharedBatchInputs).toBe(true)
    const { graph, result } = perceptron(7)
    const exe = unwrap(backend.compile(graph, [result.y, result.loss], { batchInputs: ['x', 't'] }))
    const plain = feedsFor(7)
    /** `t`'s values in a shared buffer, at an offset, as a view of a larger array refilled per batch would be. */
    const shared = (t: Tensor): Tensor => {
      const data = new Float64Array(new SharedArrayBuffer((t.data.length + 5) * 8), 40, t.data.length)
      data.set(t.data)
      return { ...t, data }
    }
    const expected = unwrap(await exe.run(plain))
    const inPlace = unwrap(await exe.run({ ...plain, x: shared(plain.x!), t: shared(plain.t!) }))
    expect(inPlace.map((o) => Array.from(o.data))).toEqual(expected.map((o) => Array.from(o.data)))
    // And again from plain arrays, after runs that left the run buffer's rows unwritten.
    const other = { ...feedsFor(7), x: tensor(values(21, 9), [7, 3]) }
    const fromShared = unwrap(await exe.run({ ...other, x: shared(other.x!) }))
    expect(fromShared.map((o) => Array.from(o.data))).toEqual(unwrap(await exe.run(other)).map((o) => Array.from(o.data)))
    await exe.dispose()
  })

  it('runs the whole graph in the calling thread, starting no worker, without batchInputs or with one worker, and says why', async () => {
    const { graph, result } = perceptron(6)
    for (const [workers, options, reason] of [
      [2, undefined, 'no batchInputs were given'],
      [1, { batchInputs: ['x', 't'] }, 'the backend has a single worker'],
    ] as const) {
      const backend = workersBackend({ workers, minFlops: 0 })
      const exe = unwrap(backend.compile(graph, [result.y, result.loss], options))
      expect(exe.shards).toEqual([])
      expect(exe.unsplitReason).toBe(reason)
      expect(unwrap(await exe.run(feedsFor(6)))).toEqual(onCpu(6))
      expect(backend.runningWorkers()).toBe(0)
      await exe.dispose()
    }
  })

  it('computes shard 0 in the calling thread and shard k on worker thread k', async () => {
    const spawned: number[] = []
    const backend = makeWorkersBackend({ workers: 3, minFlops: 0 }, { onSpawn: (slot) => spawned.push(slot) })
    const { graph, result } = perceptron(7)
    const exe = unwrap(backend.compile(graph, [result.y, result.loss], { batchInputs: ['x', 't'] }))
    expect(exe.shards).toEqual([3, 2, 2])
    expect(spawned).toEqual([1, 2])
    expect(backend.runningWorkers()).toBe(2)
    expect(maxRelativeError(unwrap(await exe.run(feedsFor(7))), onCpu(7))).toBeLessThan(1e-12)
    await exe.dispose()
    expect(backend.runningWorkers()).toBe(0)
  })

  it('starts threads with the first compile, shares them between executables, and ends them with the last dispose', async () => {
    const spawned: Worker[] = []
    const exited: Promise<number>[] = []
    const backend = makeWorkersBackend(
      { workers: 3, minFlops: 0 },
      {
        onSpawn: (_slot, worker) => {
          spawned.push(worker)
          exited.push(new Promise((resolve) => worker.once('exit', resolve)))
        },
      },
    )
    expect(backend.runningWorkers()).toBe(0)
    const exes: WorkersExecutable[] = [5, 8].map((M) => {
      const { graph, result } = perceptron(M)
      return unwrap(backend.compile(graph, [result.loss], { batchInputs: ['x', 't'] }))
    })
    // Three participants: the calling thread and two worker threads.
    expect(backend.runningWorkers()).toBe(2)
    const [five, eight] = await Promise.all([exes[0]!.run(feedsFor(5)), exes[1]!.run(feedsFor(8))])
    expect(maxRelativeError(unwrap(five!), [onCpu(5)[1]!])).toBeLessThan(1e-12)
    expect(maxRelativeError(unwrap(eight!), [onCpu(8)[1]!])).toBeLessThan(1e-12)
    await exes[0]!.dispose()
    expect(backend.runningWorkers()).toBe(2)
    expect(E.isRight(await exes[1]!.run(feedsFor(8)))).toBe(true)
    await exes[1]!.dispose()
    expect(backend.runningWorkers()).toBe(0)
    expect(spawned).toHaveLength(2)
    expect(await Promise.all(exited)).toHaveLength(2)
    // A later compile starts fresh threads.
    const { graph, result } = perceptron(4)
    const again = unwrap(backend.compile(graph, [result.loss], { batchInputs: ['x', 't'] }))
    expect(maxRelativeError(unwrap(await again.run(feedsFor(4))), [onCpu(4)[1]!])).toBeLessThan(1e-12)
    await again.dispose()
    expect(spawned).toHaveLength(4)
    expect(backend.runningWorkers()).toBe(0)
  })

  it('started, keeps its threads between executables until disposed, and starts each once', async () => {
    const spawned: number[] = []
    const backend = makeWorkersBackend({ workers: 3, minFlops: 0 }, { onSpawn: (slot) => spawned.push(slot) })
    backend.start()
    expect(spawned).toEqual([1, 2])
    expect(backend.runningWorkers()).toBe(2)
    for (const M of [5, 8]) {
      const { graph, result } = perceptron(M)
      const exe = unwrap(backend.compile(graph, [result.loss], { batchInputs: ['x', 't'] }))
      expect(maxRelativeError(unwrap(await exe.run(feedsFor(M))), [onCpu(M)[1]!])).toBeLessThan(1e-12)
      await exe.dispose()
      expect(backend.runningWorkers()).toBe(2)
    }
    backend.start()
    expect(spawned).toEqual([1, 2])
    await backend.dispose()
    expect(backend.runningWorkers()).toBe(0)
    // Without a start, threads end with the last executable again.
    const { graph, result } = perceptron(4)
    const exe = unwrap(backend.compile(graph, [result.loss], { batchInputs: ['x', 't'] }))
    expect(backend.runningWorkers()).toBe(2)
    await exe.dispose()
    expect(backend.runningWorkers()).toBe(0)
    expect(spawned).toEqual([1, 2, 1, 2])
  })

  it('takes the result of a worker far behind the calling thread from its reply, bit for bit the same', async () => {
    // Worker 2 sleeps for longer than the calling thread blocks for it, in its second run.
    const backend = makeWorkersBackend({ workers: 3, minFlops: 0 }, { fault: { slot: 2, atRun: 2, kind: 'stall' } })
    const { graph, result } = perceptron(9)
    const exe = unwrap(backend.compile(graph, [result.y, result.loss], { batchInputs: ['x', 't'] }))
    const expected = runSharded(graph, [result.y, result.loss], ['x', 't'], feedsFor(9), 3).values
    for (let run = 1; run <= 3; run++) expect(unwrap(await exe.run(feedsFor(9))), `run ${run}`).toEqual(expected)
    await exe.dispose()
    expect(backend.runningWorkers()).toBe(0)
  })

  it('gives overlapping runs of one executable their own feed buffers', async () => {
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    const { graph, result } = perceptron(6)
    const exe = unwrap(backend.compile(graph, [result.y, result.loss], { batchInputs: ['x', 't'] }))
    const feeds = [1, 2, 3, 4].map((s): Feeds => ({ ...feedsFor(6), x: tensor(values(18, 10 * s), [6, 3]) }))
    const outs = await Promise.all(feeds.map((f) => exe.run(f)))
    // Bit for bit what the same shards give when evaluated one after the other in this thread.
    outs.forEach((out, i) => expect(unwrap(out)).toEqual(runSharded(graph, [result.y, result.loss], ['x', 't'], feeds[i]!, 2).values))
    await exe.dispose()
  })

  it('reports feed mistakes like every backend, without involving the workers', async () => {
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    const { graph, result } = perceptron(4)
    const exe = unwrap(backend.compile(graph, [result.loss], { batchInputs: ['x', 't'] }))
    const out = await exe.run({ ...feedsFor(4), x: tensor(values(9, 1), [3, 3]) })
    expect(E.isLeft(out) && out.left.message).toBe("feed 'x' has shape [3,3] but the graph expects [4,3]")
    await exe.dispose()
  })

  it('runs a graph too small to repay a round trip whole in the calling thread, and splits larger ones', async () => {
    // perceptron(M) does about 22 flops per sample (a [M,3] x [3,2] product and a few elementwise ops): 880 for M = 40, 4400 for M = 200.
    const backend = workersBackend({ workers: 2, minFlops: 2000 })
    const small = unwrap(backend.compile(perceptron(40).graph, [perceptron(40).result.loss], { batchInputs: ['x', 't'] }))
    const large = unwrap(backend.compile(perceptron(200).graph, [perceptron(200).result.loss], { batchInputs: ['x', 't'] }))
    try {
      expect(small.shards).toEqual([])
      expect(small.unsplitReason).toMatch(/^a run does about \d+ flops, too few to repay a worker's share of it \(runs of at least 2000 are split/)
      expect(large.shards).toEqual([100, 100])
      // Whole or split, the values are the CPU backend's.
      const [, loss] = onCpu(40)
      const out = unwrap(await small.run(feedsFor(40)))
      expect(maxRelativeError(out, [loss!])).toBeLessThan(1e-12)
      expect(backend.runningWorkers()).toBe(1)
    } finally {
      await small.dispose()
      await large.dispose()
    }
    expect(backend.runningWorkers()).toBe(0)
  })

  it('by default leaves an iris-sized network and a small MNIST batch whole, and splits a large one', () => {
    const backend = workersBackend({ workers: 2 })
    const tiny = unwrap(backend.compile(perceptron(16).graph, [perceptron(16).result.loss], { batchInputs: ['x', 't'] }))
    expect(tiny.shards).toEqual([])
    expect(tiny.unsplitReason).toContain('too few to repay')
    // The MNIST 784-128-10 network's loss: about 13 million flops at batch 64, 105 million at 512.
    const mnistLoss = (batch: number) =>
      buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x', [batch, 784])
        const h = b.relu(b.matmul(x, b.transpose(b.param('W1', [128, 784]))))
        return b.sum(b.square(b.sub(b.matmul(h, b.transpose(b.param('W2', [10, 128]))), b.input('t', [batch, 10]))))
      })
    const [small, large] = [mnistLoss(64), mnistLoss(512)]
    const mnist64 = unwrap(backend.compile(small.graph, [small.result], { batchInputs: ['x', 't'] }))
    expect(mnist64.shards).toEqual([])
    expect(mnist64.unsplitReason).toContain('too few to repay')
    const mnist = unwrap(backend.compile(large.graph, [large.result], { batchInputs: ['x', 't'] }))
    expect(mnist.shards).toEqual([256, 256])
    // The same holds for executables that hold their parameters.
    const { graph: stepGraph, result: step } = buildOrThrow(perceptron(16).graph, (b) => {
      const W = b.param('W', [3, 2])
      return b.sub(W, b.mul(b.scalar(0.1), b.matmul(b.transpose(b.input('x', [16, 3])), b.input('t', [16, 2]))))
    })
    const held = unwrap(
      backend.compile(stepGraph, [perceptron(16).result.loss], { batchInputs: ['x', 't'], updates: [{ param: 'W', value: step }] }),
    )
    expect(held.shards).toEqual([])
    expect(held.unsplitReason).toContain('too few to repay')
    expect(isStateful(held)).toBe(true)
    return Promise.all([tiny.dispose(), mnist64.dispose(), mnist.dispose(), held.dispose()])
  })

  it('rejects a negative minFlops', () => {
    expect(() => workersBackend({ workers: 2, minFlops: -1 })).toThrow('minFlops must be a number of at least 0, got -1')
  })

  it('rejects a worker count that is not an integer from 1 to 256', () => {
    for (const workers of [0, -1, 1.5, 257, Number.NaN]) {
      expect(() => workersBackend({ workers })).toThrow(`workers must be an integer from 1 to 256, got ${workers}`)
    }
  })

  it('has one worker per core by default', async () => {
    const { availableParallelism } = await import('node:os')
    expect(workersBackend().workers).toBe(availableParallelism())
  })
})
