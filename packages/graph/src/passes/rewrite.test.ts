import { describe, expect, it } from 'vitest'
import { buildOrThrow } from '../builder.js'
import { emptyGraph } from '../graph.js'
import { onOps, rewrite } from './rewrite.js'

// max(sin(y), sin(x)) and max(cos(z), cos(y)), each operand built before the one it follows.
const { graph, result } = buildOrThrow(emptyGraph, (b) => {
  const [x, y, z] = [b.input('x'), b.input('y'), b.input('z')]
  const [sx, sy, cy, cz] = [b.sin(x), b.sin(y), b.cos(y), b.cos(z)]
  return [b.max(sy, sx), b.max(cz, cy)]
})

/** A rule that orders max's operands by id, with or without saying so up front; it records the nodes it meets. */
const ordering = (declared: boolean) => {
  const met: (readonly number[])[] = []
  const rule = onOps(
    ['max'],
    (b, _id, n) => {
      met.push(n.inputs)
      const [p, q] = n.inputs as [number, number]
      return n.op === 'max' && p > q ? b.applyHead('max', [q, p]) : undefined
    },
    declared ? (_b, op, p, q) => op === 'max' && p > q : undefined,
  )
  return { rule, met }
}

describe('rewrite: operand swaps', () => {
  it('builds a pair the rule would only swap in its order at once, with the same result', () => {
    const plain = ordering(false)
    const swapped = ordering(true)
    const a = rewrite([plain.rule])(graph, result)
    const b = rewrite([swapped.rule])(graph, result)
    expect(b.outputs).toEqual(a.outputs)
    expect(b.graph.nodes).toEqual(a.graph.nodes)
    // Without the declaration the rule meets both pairs out of order; with it, never.
    expect(plain.met.filter(([p, q]) => p! > q!)).toHaveLength(2)
    expect(swapped.met.filter(([p, q]) => p! > q!)).toHaveLength(0)
  })
})
