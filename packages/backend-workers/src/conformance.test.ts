import { type ConformanceOptions, describeBackendConformance, reaching } from '@backprop/backend/conformance'
import type { Backend, Executable } from '@backprop/backend'
import { buildOrThrow, emptyGraph, type Graph, type NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect } from 'vitest'
import { type WorkersBackend, type WorkersExecutable, workersBackend } from './index.js'
import { planShards } from './splitting/plan.js'
import { batchingEverything, guessBatchInputs } from './testing/batched.js'

/** Why `exe` runs whole in the calling thread, or `undefined` when its runs are split. */
const unsplit = (exe: Executable): string | undefined => (exe as WorkersExecutable).unsplitReason

/**
 * The conformance suite on `workers` participants, every input that shares
 * the first input's extent batched (see `guessBatchInputs`), through `wrap`.
 * The suite compiles and disposes one executable per test; an executable
 * compiled first and disposed last keeps the pool's threads up in between,
 * as a long-lived caller would, instead of starting threads for every test.
 * `after` runs once the run's tests are done.
 */
const onWorkers = (
  name: string,
  workers: number,
  wrap: (backend: Backend) => Backend,
  options: ConformanceOptions,
  after: () => void = () => {},
): void => {
  let backend: WorkersBackend | undefined
  let keepAlive: Executable | undefined
  describe(name, () => {
    describeBackendConformance(name, () => {
      backend = workersBackend({ workers, minFlops: 0 })
      const { graph, result } = buildOrThrow(emptyGraph, (b) => b.neg(b.input('keepAlive', [workers])))
      const compiled = backend.compile(graph, [result], { batchInputs: ['keepAlive'] })
      if (E.isLeft(compiled)) throw new Error(compiled.left.message)
      keepAlive = compiled.right
      return wrap(batchingEverything(backend))
    }, options)
    afterAll(async () => {
      await keepAlive?.dispose()
      expect(backend?.runningWorkers()).toBe(0)
      after()
    })
  })
}

/** Whether `graph` splits over `workers` with every input of the first input's extent batched. */
const splits =
  (workers: number) =>
  (graph: Graph, outputs: readonly NodeId[]): boolean =>
    planShards(graph, outputs, guessBatchInputs(graph), workers, 0).unsplit === undefined

// The engine of this backend is the split: shard graphs, rows handed to
// worker threads, outputs combined in shard order; on 2 and 3 participants
// (even and uneven shares). Graphs that do not split run whole on the CPU
// backend's kernels, which its own suite covers, so each run registers only
// the op cases that split and the parts whose every graph splits (feed
// validation is the split executable's own), and a compile that does not
// split fails the test.
for (const workers of [2, 3]) {
  onWorkers(`workers:${workers}, split`, workers, (backend) => reaching(backend, unsplit), {
    sections: ['ops', 'conventions', 'validation', 'state'],
    cases: splits(workers),
  })
}

// The parts whose graphs split in some tests only (random shapes, the
// executable's behaviour with leaves, repeated outputs and disposal, scalar
// float32 rounding, stable forms) run once, on 2 participants; some of
// their graphs must split.
let split = 0
onWorkers(
  'workers:2, split where the graph allows',
  2,
  (backend) => ({
    name: backend.name,
    compile: (graph, outputs, options) => {
      const compiled = backend.compile(graph, outputs, options)
      if (E.isRight(compiled) && unsplit(compiled.right) === undefined) split += 1
      return compiled
    },
  }),
  { sections: ['rounding', 'stability', 'execution', 'random-arithmetic', 'random-layout'] },
  () => expect(split, 'executables that split').toBeGreaterThan(0),
)
