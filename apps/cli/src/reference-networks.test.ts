import { type Backend, type Executable, type Feeds, fromNested, type Tensor } from '@backprop/backend'
import { cpuBackend, evaluate } from '@backprop/backend-cpu'
import { ortBackend } from '@backprop/backend-ort'
import { type WorkersExecutable, workersBackend } from '@backprop/backend-workers'
import { buildOrThrow, emptyGraph, type Graph, type NodeId } from '@backprop/graph'
import {
  type Activation,
  feedForward,
  feedForwardGradients,
  feedForwardParams,
  type Loss,
  layered,
  nameParams,
  networkGradients,
  unitDeltas,
  unitValues,
} from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { close, type FeedForwardCase, loadReference, type NetworkCase } from './testing/reference.js'

const reference = loadReference()
const files = reference.flatMap((f) => (f.kind === 'layered-networks' ? [f] : []))
const feedForwardFiles = reference.flatMap((f) => (f.kind === 'feedforward-networks' ? [f] : []))

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** Computes `outputs` of `graph` from `feeds` one way or another. */
type Compute = (graph: Graph, outputs: readonly NodeId[], feeds: Feeds) => Promise<Tensor[]>

/**
 * Compiles with `backend`, the samples split along axis 0 where the backend
 * splits batches, runs once, disposes. `check` sees the executable first.
 */
const onBackend =
  (backend: Backend, check: (exe: Executable, samples: number) => void = () => {}): Compute =>
  async (graph, outputs, feeds) => {
    const exe = right(backend.compile(graph, outputs, { batchInputs: ['x', 't'] }))
    try {
      check(exe, feeds.x!.shape[0]!)
      return [...right(await exe.run(feeds))]
    } finally {
      await exe.dispose()
    }
  }

/** Every figure of a case (loss, outputs, weight gradients) that is off by more than the contract's tolerance. */
const mismatches = async (c: NetworkCase, compute: Compute): Promise<string[]> => {
  const network = right(
    layered({
      sizes: c.sizes,
      activations: c.activations as Activation[],
      loss: c.loss as Loss,
      reduction: 'sum',
      batch: c.x.length,
      dtype: 'f64',
    }),
  )
  const { graph, gradients } = right(networkGradients(network))
  const feeds: Record<string, Tensor> = {
    x: right(fromNested(c.x)),
    t: right(fromNested(c.t)),
    ...Object.fromEntries(Object.entries(nameParams(c.weights)).map(([k, v]) => [k, right(fromNested(v))])),
  }
  const outputs = [network.loss, network.outputs, ...gradients.flatMap(({ W, b }) => [W, b])]
  const [loss, y, ...grads] = await compute(graph, outputs, feeds)
  const expected = [
    [c.expected.loss],
    c.expected.outputs.flat(),
    ...c.expected.gradients.flatMap(({ W, b }) => [W.flat(), b]),
  ]
  const names = ['loss', 'outputs', ...c.expected.gradients.flatMap((_, l) => [`dE/dW${l + 1}`, `dE/db${l + 1}`])]
  return differences(names, [loss!, y!, ...grads].map((t) => t.data), expected)
}

/** Lines naming every figure off by more than the contract's tolerance. */
const differences = (names: readonly string[], actual: readonly ArrayLike<number>[], expected: readonly (readonly number[])[]): string[] =>
  actual.flatMap((a, k) =>
    expected[k]!.length !== a.length
      ? [`${names[k]}: ${a.length} values, expected ${expected[k]!.length}`]
      : expected[k]!.flatMap((e, i) => (close(a[i]!, e) ? [] : [`${names[k]}[${i}]: got ${a[i]}, expected ${e}`])),
  )

/** The same for a general network: loss, outputs, every unit's delta and weight gradients. */
const feedForwardMismatches = async (c: FeedForwardCase, compute: Compute): Promise<string[]> => {
  const net = right(feedForward({ ...c, batch: c.x.length, reduction: 'sum', dtype: 'f64' }))
  const derived = right(feedForwardGradients(net))
  const params = right(feedForwardParams(c, { seed: 0 }))
  const feeds: Record<string, Tensor> = {
    x: right(fromNested(c.x)),
    t: right(fromNested(c.t)),
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { ...v, shape: [...v.shape] }])),
  }
  const names = net.paramNames
  const [loss, y, ...rest] = await compute(derived.graph, [net.loss, net.outputs, ...names.map((n) => derived.gradients[n]!), ...derived.deltas], feeds)
  const grads = unitValues(c, Object.fromEntries(names.map((n, k) => [n, rest[k]!])))
  return differences(
    ['loss', 'outputs', 'deltas', ...c.units.flatMap((_, j) => [`dE/dw of units[${j}]`, `dE/db of units[${j}]`])],
    [[loss!.data[0]!], y!.data, unitDeltas(c, rest.slice(names.length)).flat(), ...grads.flatMap((g) => [g.in, [g.bias]])],
    [[c.expected.loss], c.expected.outputs.flat(), c.expected.deltas.flat(), ...c.expected.gradients.flatMap((g) => [g.in, [g.bias]])],
  )
}

// Two participants: half of every batch in this thread, half in a worker thread.
const workers = workersBackend({ workers: 2, minFlops: 0 })
let keepAlive: Executable | undefined
beforeAll(() => {
  // An executable alive for the whole file keeps the worker thread up between cases.
  const { graph, result } = buildOrThrow(emptyGraph, (b) => b.neg(b.input('keepAlive', [1])))
  keepAlive = right(workers.compile(graph, [result]))
})
afterAll(async () => {
  await keepAlive?.dispose()
  expect(workers.runningWorkers()).toBe(0)
})

const ways: [string, Compute][] = [
  ['reference interpreter', async (graph, outputs, feeds) => right(evaluate(graph, outputs, feeds))],
  ['cpu backend', onBackend(cpuBackend())],
  [
    'workers:2 backend',
    // Every batch of two samples or more is split between the two participants.
    onBackend(workers, (exe, samples) => expect((exe as WorkersExecutable).shards).toHaveLength(samples >= 2 ? 2 : 0)),
  ],
  ['ort backend', onBackend(ortBackend())],
]

describe.each(files)('reference $file', ({ cases }) => {
  describe.each(ways)('on the %s', (_way, compute) => {
    it.each(cases.map((c) => [c.id, c] as const))('%s: loss, outputs and weight gradients', async (_id, c) => {
      expect(await mismatches(c, compute)).toEqual([])
    })
  })
})

describe.each(feedForwardFiles)('reference $file', ({ cases }) => {
  describe.each(ways)('on the %s', (_way, compute) => {
    it.each(cases.map((c) => [c.id, c] as const))('%s: loss, outputs, deltas and weight gradients', async (_id, c) => {
      expect(await feedForwardMismatches(c, compute)).toEqual([])
    })
  })
})
