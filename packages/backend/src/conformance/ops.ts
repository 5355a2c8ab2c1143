import { buildOrThrow, type DType, emptyGraph, type Graph, type NodeId, opNames } from '@backprop/graph'
import { describe, it } from 'vitest'
import type { Backend } from '../backend.js'
import { type Tensor, tensor } from '../tensor.js'
import { dtypes, expectTensor, refOf, runOnce } from './harness.js'
import { type OpCase, opCases } from './op-cases.js'

/**
 * Which op cases a run registers, decided from each case's graph when the
 * suite is registered (see `ConformanceOptions.cases`).
 *
 * @internal
 */
export type CaseFilter = (graph: Graph, outputs: readonly NodeId[]) => boolean

/** The case's graph in `dtype`, its output and its feeds. */
const caseGraph = (c: OpCase, dtype: DType): { graph: Graph; output: NodeId; feeds: Record<string, Tensor>; names: string[] } => {
  const names = c.operands.map((_, i) => `x${i}`)
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const ids = c.operands.map((r, i) =>
      c.feedAs === 'param' ? b.param(names[i]!, r.shape, dtype) : b.input(names[i]!, r.shape, dtype),
    )
    return c.build(b, ids, dtype)
  })
  const feeds: Record<string, Tensor> = {}
  c.operands.forEach((r, i) => (feeds[names[i]!] = tensor(r.values, r.shape, dtype)))
  return { graph, output: result, feeds, names }
}

/** Builds the case's graph in `dtype`, runs it and compares with the reference. @internal */
export const runCase = async (backend: Backend, c: OpCase, dtype: DType): Promise<void> => {
  const { graph, output, feeds, names } = caseGraph(c, dtype)
  const [out] = await runOnce(backend, graph, [output], feeds)
  expectTensor(out!, c.expected(names.map((n) => refOf(feeds[n]!))), dtype, c.label)
}

/**
 * Every op of the graph package's table, in both dtypes, against the
 * reference implementations: one test per case and dtype that `cases`
 * keeps (every case by default). That the case table covers every op is
 * the backend package's own test, not a backend's.
 *
 * @internal
 */
export const describeOps = (make: () => Backend, cases: CaseFilter = () => true): void => {
  describe('ops', () => {
    for (const op of opNames) {
      const kept = opCases[op].flatMap((c) =>
        dtypes.flatMap((dtype) => {
          const { graph, output } = caseGraph(c, dtype)
          return cases(graph, [output]) ? [{ c, dtype }] : []
        }),
      )
      if (kept.length === 0) continue
      describe(op, () => {
        for (const { c, dtype } of kept) it(`${c.label} (${dtype})`, () => runCase(make(), c, dtype))
      })
    }
  })
}
