import { describeBackendConformance } from '@backprop/backend/conformance'
import type { Executable } from '@backprop/backend'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect } from 'vitest'
import { type WorkersBackend, workersBackend } from './index.js'
import { batchingEverything } from './testing/batched.js'

/**
 * The conformance suite on N workers. The suite compiles and disposes one
 * executable per test; an executable compiled first and disposed last keeps
 * the pool's threads up in between, as a long-lived caller would, instead of
 * starting threads for every test. `batched` also splits every graph of the
 * suite over its inputs' first axis wherever the batch analysis allows, so
 * that the suite checks the shard graphs and the combination of their
 * outputs on hundreds of graphs.
 */
const conformance = (workers: number, batched: boolean): void => {
  let backend: WorkersBackend | undefined
  let keepAlive: Executable | undefined
  describe(`workers:${workers}${batched ? ', every input batched' : ''}`, () => {
    describeBackendConformance(`workers:${workers}`, () => {
      backend = workersBackend({ workers, minFlops: 0 })
      const { graph, result } = buildOrThrow(emptyGraph, (b) => b.neg(b.input('keepAlive', [1])))
      const compiled = backend.compile(graph, [result])
      if (E.isLeft(compiled)) throw new Error(compiled.left.message)
      keepAlive = compiled.right
      return batched ? batchingEverything(backend) : backend
    })
    afterAll(async () => {
      await keepAlive?.dispose()
      expect(backend?.runningWorkers()).toBe(0)
    })
  })
}

for (const workers of [1, 2, 3]) {
  conformance(workers, false)
  if (workers > 1) conformance(workers, true)
}
