import { type OpName, opNames } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { type OpCase, opCases } from './op-cases.js'

// Checked once here rather than in every backend's run: whether the table
// covers the ops does not depend on a backend.
describe('conformance op cases', () => {
  const table: Readonly<Record<string, readonly OpCase[]>> = opCases
  it('cover exactly the ops of the graph package, each with at least one case', () => {
    expect(opNames.filter((op) => (table[op]?.length ?? 0) === 0), 'ops without a case').toEqual([])
    expect(Object.keys(table).filter((op) => !opNames.includes(op as OpName)), 'cases of unknown ops').toEqual([])
  })
})
