import { buildOrThrow, type DType, emptyGraph, type OpName, opNames } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend.js'
import { type Tensor, tensor } from '../tensor.js'
import { dtypes, expectTensor, refOf, runOnce } from './harness.js'
import { type OpCase, opCases } from './op-cases.js'

/** Builds the case's graph in `dtype`, runs it and compares with the reference. @internal */
export const runCase = async (backend: Backend, c: OpCase, dtype: DType): Promise<void> => {
  const names = c.operands.map((_, i) => `x${i}`)
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const ids = c.operands.map((r, i) =>
      c.feedAs === 'param' ? b.param(names[i]!, r.shape, dtype) : b.input(names[i]!, r.shape, dtype),
    )
    return c.build(b, ids, dtype)
  })
  const feeds: Record<string, Tensor> = {}
  c.operands.forEach((r, i) => (feeds[names[i]!] = tensor(r.values, r.shape, dtype)))
  const [out] = await runOnce(backend, graph, [result], feeds)
  expectTensor(out!, c.expected(names.map((n) => refOf(feeds[n]!))), dtype, c.label)
}

/**
 * Every op of the graph package's table, in both dtypes, against the
 * reference implementations: one test per case and dtype, and per op a test
 * that it has cases at all.
 *
 * @internal
 */
export const describeOps = (make: () => Backend): void => {
  describe('ops', () => {
    it('the case table covers exactly the ops of the graph package', () => {
      const table: Readonly<Record<string, readonly OpCase[]>> = opCases
      expect(opNames.filter((op) => (table[op]?.length ?? 0) === 0), 'ops without a case').toEqual([])
      expect(Object.keys(table).filter((op) => !opNames.includes(op as OpName)), 'cases of unknown ops').toEqual([])
    })
    for (const op of opNames) {
      describe(op, () => {
        const cases: readonly OpCase[] = (opCases as Readonly<Record<string, readonly OpCase[]>>)[op] ?? []
        it('has conformance cases', () => expect(cases.length).toBeGreaterThan(0))
        for (const c of cases) {
          for (const dtype of dtypes) {
            it(`${c.label} (${dtype})`, () => runCase(make(), c, dtype))
          }
        }
      })
    }
  })
}
