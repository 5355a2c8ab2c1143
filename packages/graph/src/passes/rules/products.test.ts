import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../../builder.js'
import { emptyGraph, type NodeId } from '../../graph.js'
import { rewrite } from '../rewrite.js'
import { simplify } from '../simplify.js'
import { type Vars, evaluate, showOutput, simplified } from '../testing/helpers.js'
import { productRules } from './products.js'

type Case = [string, (b: Builder, v: Vars) => NodeId | readonly NodeId[], string]

const cases: Case[] = [
  ['factors in order: z*x*y -> x*y*z', (b, { x, y, z }) => b.mul(b.mul(z, x), y), '((x * y) * z)'],
  ['the coefficient first: x*(2*y) -> 2*x*y', (b, { x, y, c }) => b.mul(x, b.mul(c(2), y)), '((2 * x) * y)'],
  ['equal factors merge: x*y*x -> square(x)*y', (b, { x, y }) => b.mul(b.mul(x, y), x), '(square(x) * y)'],
  ['into powers: square(x)*x -> x^3', (b, { x }) => b.mul(b.square(x), x), '(x ^ 3)'],
  ['powers merge: x^3 * square(x) -> x^5', (b, { x, c }) => b.mul(b.pow(x, c(3)), b.square(x)), '(x ^ 5)'],
  ['a quotient in one line: (x/y)*(z/x) stays (x may be 0)', (b, { x, y, z }) => b.mul(b.div(x, y), b.div(z, x)), '((x * z) / (x * y))'],
  ['cancels a nonzero factor: exp(x)*y/exp(x) -> y', (b, { x, y }) => b.div(b.mul(b.exp(x), y), b.exp(x)), 'y'],
  ['cancels part of a power: square(exp x)/exp(x) -> exp(x)', (b, { x }) => b.div(b.square(b.exp(x)), b.exp(x)), 'exp(x)'],
  ['divisors gather: x/y/z -> x/(y*z)', (b, { x, y, z }) => b.div(b.div(x, y), z), '(x / (y * z))'],
  ['constants meet across the line: (6*x)/(3*y) -> 2*x/y', (b, { x, y, c }) => b.div(b.mul(c(6), x), b.mul(c(3), y)), '((2 * x) / y)'],
  ['an inexact quotient stays one: x/3 -> x/3', (b, { x, c }) => b.div(x, c(3)), '(x / 3)'],
  ['exact by powers of two: (x/4)*0.5 -> 0.125*x', (b, { x, c }) => b.mul(b.div(x, c(4)), c(0.5)), '(0.125 * x)'],
  ['signs gather: (-x)*(-y)*(-z) -> -(x*y*z)', (b, { x, y, z }) => b.mul(b.mul(b.neg(x), b.neg(y)), b.neg(z)), '-((x * y) * z)'],
  ['a sign and a divisor: -(x/y) * 2 -> -2*x/y', (b, { x, y, c }) => b.mul(b.neg(b.div(x, y)), c(2)), '((-2 * x) / y)'],
  ['a constant over factors: 2/(x*y)', (b, { x, y, c }) => b.div(c(2), b.mul(y, x)), '(2 / (x * y))'],
  ['zero: x*y*0 -> 0', (b, { x, y, c }) => b.mul(b.mul(x, y), c(0)), '0'],
  ['zero over a provable nonzero: 0*x/exp(y) -> 0', (b, { x, y, c }) => b.div(b.mul(c(0), x), b.exp(y)), '0'],
  ['division by a zero constant is left alone: x/0', (b, { x, c }) => b.div(x, c(0)), '(x / 0)'],
  ['one node for both orders', (b, { x, y, z }) => b.sub(b.mul(b.mul(z, x), y), b.mul(y, b.mul(x, z))), '0'],
]

describe('productRules (through simplify)', () => {
  it.each(cases)('%s', (_name, recipe, expected) => {
    expect(simplified(recipe)).toBe(expected)
  })

  it('keep a shared product whole: p = x*y*z used twice stays one node', () => {
    expect(simplified((b, { x, y, z }) => {
      const p = b.mul(b.mul(x, y), z)
      return [b.mul(p, x), b.sin(p)]
    })).toBe('(((x * y) * z) * x) ; sin(((x * y) * z))')
  })

  it('gather a shared product of two plain factors, whose constant meets the consumer\'s', () => {
    // The 0.5/sqrt(s) of d sqrt(s) reaches d/dx and d/dy: in each it meets the 2 of d square.
    expect(simplified((b, { x, y, c }) => {
      const g = b.div(c(0.5), b.sqrt(b.add(b.square(x), b.square(y))))
      return [b.mul(g, b.mul(c(2), x)), b.mul(g, b.mul(c(2), y))]
    })).toBe('(x / sqrt((square(x) + square(y)))) ; (y / sqrt((square(x) + square(y))))')
  })

  it('work on their own as a rule table', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      return b.mul(x, b.mul(b.scalar(3), x))
    })
    expect(showOutput(rewrite(productRules)(graph, [result]))).toBe('(3 * square(x))')
  })

  it('multiply scalar-shaped factors first in a tensor product', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const s = b.input('s')
      return b.mul(b.mul(b.input('m', [2, 3]), s), b.input('u'))
    })
    expect(showOutput(simplify(graph, [result]))).toBe('((s * u) * m)')
  })

  it('keep the values of a long product of many factors', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const vars = [b.input('x'), b.input('y'), b.input('z')]
      let acc = b.scalar(1.5)
      for (let i = 0; i < 60; i++) {
        const f = i % 5 === 0 ? b.neg(vars[i % 3]!) : vars[i % 3]!
        acc = i % 4 === 3 ? b.div(acc, f) : b.mul(f, acc)
      }
      return acc
    })
    const s = simplify(graph, [result])
    const at = { x: 1.1, y: -0.9, z: 1.05 }
    const want = evaluate(graph, at)[result]!
    expect(evaluate(s.graph, at)[s.outputs[0]!]! / want).toBeCloseTo(1, 9)
    expect(s.graph.nodes.length).toBeLessThan(40)
  })
})
