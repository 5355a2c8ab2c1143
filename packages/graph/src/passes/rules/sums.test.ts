import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../../builder.js'
import { emptyGraph, type NodeId } from '../../graph.js'
import { rewrite } from '../rewrite.js'
import { simplify } from '../simplify.js'
import { type Vars, evaluate, showOutput, simplified } from '../testing/helpers.js'
import { sumRules } from './sums.js'

type Case = [string, (b: Builder, v: Vars) => NodeId | readonly NodeId[], string]

const cases: Case[] = [
  ['like terms across a chain: x + (y + x) -> 2*x + y', (b, { x, y }) => b.add(x, b.add(y, x)), '((2 * x) + y)'],
  ['terms cancel across a chain: (x + 1) + (y - x) -> 1 + y', (b, { x, y, c }) => b.add(b.add(x, c(1)), b.sub(y, x)), '(1 + y)'],
  ['constants gather: 1 + x + 2 - 4 -> x - 1', (b, { x, c }) => b.sub(b.add(b.add(c(1), x), c(2)), c(4)), '(x - 1)'],
  ['coefficients come out of products: 2*x*y + y*x*3 -> 5*x*y', (b, { x, y, c }) => b.add(b.mul(b.mul(c(2), x), y), b.mul(b.mul(y, x), c(3))), '((5 * x) * y)'],
  ['quotients keep their divisor: x/3 + x/3 -> 2*x/3', (b, { x, c }) => b.add(b.div(x, c(3)), b.div(x, c(3))), '((2 * x) / 3)'],
  ['a negative term is subtracted: x + (-3)*y + z', (b, { x, y, z, c }) => b.add(b.add(x, b.mul(c(-3), y)), z), '((x - (3 * y)) + z)'],
  ['the first positive term starts: -x + y -> y - x', (b, { x, y }) => b.add(b.neg(x), y), '(y - x)'],
  ['a negative constant follows: -3 + x -> x - 3', (b, { x, c }) => b.add(c(-3), x), '(x - 3)'],
  ['all negative: -x - 2*y -> -(x + 2*y)', (b, { x, y, c }) => b.sub(b.neg(x), b.mul(c(2), y)), '-(x + (2 * y))'],
  ['a single term keeps its coefficient: x - 3*x -> -2*x', (b, { x, c }) => b.sub(x, b.mul(c(3), x)), '(-2 * x)'],
  ['everything cancels: (x - y) + (y - x) -> 0', (b, { x, y }) => b.add(b.sub(x, y), b.sub(y, x)), '0'],
  ['terms in canonical order: z + x + y -> x + y + z', (b, { x, y, z }) => b.add(b.add(z, x), y), '((x + y) + z)'],
  ['one node for both orders', (b, { x, y, z }) => b.sub(b.add(b.add(z, x), y), b.add(y, b.add(x, z))), '0'],
]

describe('sumRules (through simplify)', () => {
  it.each(cases)('%s', (_name, recipe, expected) => {
    expect(simplified(recipe)).toBe(expected)
  })

  it('keep a shared sum whole in each consumer: y - t stays y - t for y = a + b used elsewhere', () => {
    // The lecture's delta = y - t: y is a named quantity (the network output),
    // so the difference is not spread into a + b - t.
    expect(simplified((b, { x, y, z }) => {
      const out = b.add(x, y)
      return [b.sub(out, z), out]
    })).toBe('((x + y) - z) ; (x + y)')
  })

  it('gather a sum used once into its consumer', () => {
    expect(simplified((b, { x, y, z }) => b.sub(b.add(x, y), z))).toBe('((x + y) - z)')
    // Terms in order x, y, z; the sum starts at the first positive one, y.
    expect(simplified((b, { x, y, z }) => b.sub(b.add(z, y), x))).toBe('((y - x) + z)')
  })

  it('work on their own as a rule table', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      return b.add(x, b.add(b.scalar(2), x))
    })
    expect(showOutput(rewrite(sumRules)(graph, [result]))).toBe('(2 + (2 * x))')
  })

  it('leave a sum over a smaller operand whole: x[3] + (s + s) for scalar s', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const s = b.input('s')
      return b.add(b.input('v', [3]), b.add(s, s))
    })
    // s + s has shape [] and is not spread into the [3]-shaped sum, but is simplified itself.
    expect(showOutput(simplify(graph, [result]))).toBe('((2 * s) + v)')
  })

  it('keep the values of a long sum of many terms', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const vars = [b.input('x'), b.input('y'), b.input('z')]
      let acc = b.scalar(0.5)
      for (let i = 0; i < 60; i++) {
        const term = b.mul(b.scalar((i % 7) - 3), vars[i % 3]!)
        acc = i % 2 === 0 ? b.add(acc, term) : b.sub(term, acc)
      }
      return acc
    })
    const s = simplify(graph, [result])
    const at = { x: 0.3, y: -1.7, z: 2.9 }
    const want = evaluate(graph, at)[result]!
    expect(evaluate(s.graph, at)[s.outputs[0]!]).toBeCloseTo(want, 9)
    expect(s.graph.nodes.length).toBeLessThan(20)
  })
})
