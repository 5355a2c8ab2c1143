import { tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { grad } from '@backprop/diff'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { workersBackend } from './backend.js'

// x [8, 4] samples; parts and joins along the feature axis keep samples apart, an index
// along the batch axis does not (the graph then runs unsplit): both give the CPU's values.
const model = (alongBatch: boolean) => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [8, 4])
    const w = b.param('w', [6, 1])
    const parts = b.concat([b.slice(x, 1, 3, 1), x], 1)
    const y = b.tanh(b.matmul(parts, w))
    const loss = alongBatch ? b.sum(b.square(b.index(y, 2, 0))) : b.sum(b.square(y))
    return { loss, w }
  })
  const g = grad(graph, result.loss, [result.w])
  if (E.isLeft(g)) throw new Error(g.left.message)
  return { graph: g.right.graph, outputs: [result.loss, g.right.gradients[0]!] }
}

describe('slice, index and concat on workers', () => {
  it.each([false, true])('match the cpu backend (index along the batch axis: %s)', async (alongBatch) => {
    const { graph, outputs } = model(alongBatch)
    const feeds = {
      x: tensor(Array.from({ length: 32 }, (_, i) => Math.sin(i)), [8, 4]),
      w: tensor([0.5, -0.25, 1, 0.1, -0.3, 0.2], [6, 1]),
    }
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    const exe = backend.compile(graph, outputs, { batchInputs: ['x'] })
    if (E.isLeft(exe)) throw new Error(exe.left.message)
    try {
      const ours = await exe.right.run(feeds)
      const cpu = evaluate(graph, outputs, feeds)
      if (E.isLeft(ours) || E.isLeft(cpu)) throw new Error('a run failed')
      expect(backend.runningWorkers()).toBe(alongBatch ? 0 : 1) // split with one worker thread, or run whole
      ours.right.forEach((t, i) => t.data.forEach((v, k) => expect(v).toBeCloseTo(cpu.right[i]!.data[k]!, 12)))
    } finally {
      await exe.right.dispose()
    }
  })
})
