import { type Backend, type Executable, type Feeds, fromNested, type Tensor } from '@backprop/backend'
import { cpuBackend, evaluate } from '@backprop/backend-cpu'
import { ortBackend } from '@backprop/backend-ort'
import { type WorkersExecutable, workersBackend } from '@backprop/backend-workers'
import { buildOrThrow, emptyGraph, type Graph, type NodeId } from '@backprop/graph'
import { type Activation, type Loss, layered, nameParams, networkGradients } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { close, loadReference, type NetworkCase } from './testing/reference.js'

const files = loadReference().flatMap((f) => (f.kind === 'layered-networks' ? [f] : []))

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
  return [loss!, y!, ...grads].flatMap((t, k) =>
    expected[k]!.length !== t.data.length
      ? [`${names[k]}: ${t.data.length} values, expected ${expected[k]!.length}`]
      : expected[k]!.flatMap((e, i) => (close(t.data[i]!, e) ? [] : [`${names[k]}[${i}]: got ${t.data[i]}, expected ${e}`])),
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
