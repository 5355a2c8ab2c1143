import { describe, expect, it } from 'vitest'
import { type Builder, buildOrThrow } from './builder.js'
import { sameExpression } from './equal.js'
import { emptyGraph, type NodeId } from './graph.js'

const make = (recipe: (b: Builder) => NodeId) => {
  const { graph, result } = buildOrThrow(emptyGraph, recipe)
  return [graph, result] as const
}

const same = (r1: (b: Builder) => NodeId, r2: (b: Builder) => NodeId): boolean =>
  sameExpression(...make(r1), ...make(r2))

describe('sameExpression', () => {
  const base = (b: Builder) => b.add(b.mul(b.input('x'), b.input('y')), b.scalar(1))

  it('holds for the same expression built in another order, with other ids', () => {
    expect(
      same(base, (b) => {
        b.input('unused')
        const one = b.scalar(1)
        const y = b.input('y')
        return b.add(b.mul(b.input('x'), y), one)
      }),
    ).toBe(true)
  })

  it('compares the value of a subexpression, not whether it is shared', () => {
    // In g1 sin(x) is one node used twice; g2 spells out the same tree.
    const [g1, o1] = make((b) => {
      const s = b.sin(b.input('x'))
      return b.mul(s, s)
    })
    const [g2, o2] = make((b) => b.mul(b.sin(b.input('x')), b.sin(b.input('x'))))
    expect(sameExpression(g1, o1, g2, o2)).toBe(true)
  })

  it.each<[string, (b: Builder) => NodeId]>([
    ['another op', (b) => b.add(b.div(b.input('x'), b.input('y')), b.scalar(1))],
    ['swapped operands', (b) => b.add(b.scalar(1), b.mul(b.input('x'), b.input('y')))],
    ['another variable', (b) => b.add(b.mul(b.input('x'), b.input('z')), b.scalar(1))],
    ['another constant', (b) => b.add(b.mul(b.input('x'), b.input('y')), b.scalar(2))],
    ['another dtype', (b) => b.add(b.mul(b.input('x', [], 'f32'), b.input('y', [], 'f32')), b.scalar(1, 'f32'))],
    ['another shape', (b) => b.add(b.mul(b.input('x', [2]), b.input('y')), b.scalar(1))],
  ])('fails for %s', (_name, other) => {
    expect(same(base, other)).toBe(false)
  })

  it('tells -0 from 0 and NaN equals NaN', () => {
    expect(same((b) => b.scalar(-0), (b) => b.scalar(0))).toBe(false)
    expect(same((b) => b.scalar(NaN), (b) => b.scalar(NaN))).toBe(true)
  })

  it('compares attributes such as axes', () => {
    const x = (b: Builder) => b.input('x', [2, 3])
    expect(same((b) => b.sum(x(b), [0]), (b) => b.sum(x(b), [0]))).toBe(true)
    expect(same((b) => b.sum(x(b), [0]), (b) => b.sum(x(b), [1]))).toBe(false)
    expect(same((b) => b.sum(x(b), [0]), (b) => b.sum(x(b), [0], true))).toBe(false)
  })

  it('is linear, not exponential, in a heavily shared graph', () => {
    // 2^200 paths from the top to x: only a memoised comparison can finish.
    const chain = (b: Builder) => {
      let y = b.input('x')
      for (let i = 0; i < 200; i++) y = b.add(y, y)
      return y
    }
    expect(same(chain, chain)).toBe(true)
  })
})
