import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../../builder.js'
import { emptyGraph, type NodeId } from '../../graph.js'
import { simplify } from '../simplify.js'
import { type Vars, showOutput, simplified } from '../testing/helpers.js'

type Case = [string, (b: Builder, v: Vars) => NodeId, string]

const cases: Case[] = [
  // sums and differences
  ['x + 0 -> x', (b, { x, c }) => b.add(x, c(0)), 'x'],
  ['0 + x -> x', (b, { x, c }) => b.add(c(0), x), 'x'],
  ['x - 0 -> x', (b, { x, c }) => b.sub(x, c(0)), 'x'],
  ['0 - x -> -x', (b, { x, c }) => b.sub(c(0), x), '-x'],
  ['x - x -> 0', (b, { x }) => b.sub(x, x), '0'],
  ['sin x - sin x -> 0', (b, { x }) => b.sub(b.sin(x), b.sin(x)), '0'],
  ['--x -> x', (b, { x }) => b.neg(b.neg(x)), 'x'],
  ['-(a - b) -> b - a', (b, { x, y }) => b.neg(b.sub(x, y)), '(y - x)'],
  ['-(c*x) -> (-c)*x', (b, { x, c }) => b.neg(b.mul(c(2), x)), '(-2 * x)'],
  ['a + (-b) -> a - b', (b, { x, y }) => b.add(x, b.neg(y)), '(x - y)'],
  ['(-a) + b -> b - a', (b, { x, y }) => b.add(b.neg(x), y), '(y - x)'],
  ['a - (-b) -> a + b', (b, { x, y }) => b.sub(x, b.neg(y)), '(x + y)'],
  ['(-a) - b -> -(a + b)', (b, { x, y }) => b.sub(b.neg(x), y), '-(x + y)'],
  ['x + x -> 2*x', (b, { x }) => b.add(x, x), '(2 * x)'],
  ['c*x + d*x -> (c+d)*x', (b, { x, c }) => b.add(b.mul(c(2), x), b.mul(x, c(3))), '(5 * x)'],
  ['x + c*x -> (1+c)*x', (b, { x, c }) => b.add(x, b.mul(c(2), x)), '(3 * x)'],
  ['c*x - x -> (c-1)*x', (b, { x, c }) => b.sub(b.mul(c(3), x), x), '(2 * x)'],
  ['x - c*x -> (1-c)*x', (b, { x, c }) => b.sub(x, b.mul(c(3), x)), '(-2 * x)'],
  ['x - 2*x -> -x', (b, { x, c }) => b.sub(x, b.mul(c(2), x)), '-x'],
  ['a + c*x -> a - |c|*x for c < 0', (b, { x, y, c }) => b.add(x, b.mul(c(-2), y)), '(x - (2 * y))'],
  ['a - c*x -> a + |c|*x for c < 0', (b, { x, y, c }) => b.sub(x, b.mul(c(-2), y)), '(x + (2 * y))'],
  ['c1 + (c2 + x) -> (c1+c2) + x', (b, { x, c }) => b.add(c(1), b.add(c(2), x)), '(3 + x)'],
  // products
  ['x * 1 -> x', (b, { x, c }) => b.mul(x, c(1)), 'x'],
  ['1 * x -> x', (b, { x, c }) => b.mul(c(1), x), 'x'],
  ['x * 0 -> 0', (b, { x, c }) => b.mul(x, c(0)), '0'],
  ['0 * x -> 0', (b, { x, c }) => b.mul(c(0), x), '0'],
  ['(-1) * x -> -x', (b, { x, c }) => b.mul(c(-1), x), '-x'],
  ['x * x -> square(x)', (b, { x }) => b.mul(x, x), 'square(x)'],
  ['(-a) * b -> -(a*b)', (b, { x, y }) => b.mul(b.neg(x), y), '-(x * y)'],
  ['a * (-b) -> -(a*b)', (b, { x, y }) => b.mul(x, b.neg(y)), '-(x * y)'],
  ['(-a) * (-b) -> a*b', (b, { x, y }) => b.mul(b.neg(x), b.neg(y)), '(x * y)'],
  ['c1*(c2*x) -> (c1*c2)*x', (b, { x, c }) => b.mul(c(2), b.mul(c(3), x)), '(6 * x)'],
  ['(c2*x)*c1 -> (c1*c2)*x', (b, { x, c }) => b.mul(b.mul(x, c(2)), c(3)), '(6 * x)'],
  ['(c*x)*y -> c*x*y', (b, { x, y, c }) => b.mul(b.mul(c(2), x), y), '((2 * x) * y)'],
  ['(c*x)*(d*y) -> (c*d)*x*y', (b, { x, y, c }) => b.mul(b.mul(c(2), x), b.mul(c(4), y)), '((8 * x) * y)'],
  // quotients
  ['x / 1 -> x', (b, { x, c }) => b.div(x, c(1)), 'x'],
  ['x / (-1) -> -x', (b, { x, c }) => b.div(x, c(-1)), '-x'],
  ['0 / exp(x) -> 0', (b, { x, c }) => b.div(c(0), b.exp(x)), '0'],
  ['0 / x stays (x may be 0)', (b, { x, c }) => b.div(c(0), x), '(0 / x)'],
  ['exp(x) / exp(x) -> 1', (b, { x }) => b.div(b.exp(x), b.exp(x)), '1'],
  ['x / x stays (x may be 0)', (b, { x }) => b.div(x, x), '(x / x)'],
  ['(-a) / b -> -(a/b)', (b, { x, y }) => b.div(b.neg(x), y), '-(x / y)'],
  ['a / (-b) -> -(a/b)', (b, { x, y }) => b.div(x, b.neg(y)), '-(x / y)'],
  ['(c*x) / d -> (c/d)*x', (b, { x, c }) => b.div(b.mul(c(4), x), c(2)), '(2 * x)'],
  ['c * (x/d) -> (c/d)*x', (b, { x, c }) => b.mul(c(2), b.div(x, c(4))), '(0.5 * x)'],
  ['(c*x) / y -> c*x/y', (b, { x, y, c }) => b.div(b.mul(c(2), x), y), '((2 * x) / y)'],
  // powers and roots
  ['x ^ 0 -> 1', (b, { x, c }) => b.pow(x, c(0)), '1'],
  ['x ^ 1 -> x', (b, { x, c }) => b.pow(x, c(1)), 'x'],
  ['x ^ 2 -> square(x)', (b, { x, c }) => b.pow(x, c(2)), 'square(x)'],
  ['x ^ 2 and x * x are one node', (b, { x, c }) => b.sub(b.pow(x, c(2)), b.mul(x, x)), '0'],
  ['x ^ -1 -> 1 / x', (b, { x, c }) => b.pow(x, c(-1)), '(1 / x)'],
  ['x ^ 0.5 -> sqrt(x)', (b, { x, c }) => b.pow(x, c(0.5)), 'sqrt(x)'],
  ['x ^ 3 stays', (b, { x, c }) => b.pow(x, c(3)), '(x ^ 3)'],
  ['sqrt(square x) -> abs x', (b, { x }) => b.sqrt(b.square(x)), 'abs(x)'],
  ['abs(abs x) -> abs x', (b, { x }) => b.abs(b.abs(x)), 'abs(x)'],
  ['abs(-x) -> abs x', (b, { x }) => b.abs(b.neg(x)), 'abs(x)'],
  ['abs(exp x) -> exp x', (b, { x }) => b.abs(b.exp(x)), 'exp(x)'],
  ['abs(square x) -> square x', (b, { x }) => b.abs(b.square(x)), 'square(x)'],
  ['square(-x) -> square x', (b, { x }) => b.square(b.neg(x)), 'square(x)'],
  ['square(abs x) -> square x', (b, { x }) => b.square(b.abs(x)), 'square(x)'],
  ['log(exp x) -> x', (b, { x }) => b.log(b.exp(x)), 'x'],
  ['exp(log x) stays (not x for x <= 0)', (b, { x }) => b.exp(b.log(x)), 'exp(log(x))'],
  // guarded products, selections
  ['mulNoNan(c, y) -> c*y for c != 0', (b, { y, c }) => b.mulNoNan(c(2), y), '(2 * y)'],
  ['mulNoNan(0, y) -> 0', (b, { y, c }) => b.mulNoNan(c(0), y), '0'],
  ['mulNoNan(x, c) -> c*x for finite c', (b, { y, c }) => b.mulNoNan(y, c(3)), '(3 * y)'],
  ['mulNoNan(x, y) -> x*y for finite y', (b, { x, y }) => b.mulNoNan(x, y), '(x * y)'],
  ['mulNoNan(x, 2*y) -> x*2*y for finite 2*y', (b, { x, y, c }) => b.mulNoNan(x, b.mul(c(2), y)), '((2 * x) * y)'],
  ['mulNoNan(exp x, y/x) -> exp(x)*y/x for nonzero exp x', (b, { x, y }) => b.mulNoNan(b.exp(x), b.div(y, x)), '((y * exp(x)) / x)'],
  ['mulNoNan(x, 1/y) stays (1/y may be infinite)', (b, { x, y, c }) => b.mulNoNan(x, b.div(c(1), y)), 'mulNoNan(x, (1 / y))'],
  ['mulNoNan(x, inf) stays', (b, { x, c }) => b.mulNoNan(x, c(Infinity)), 'mulNoNan(x, Infinity)'],
  ['where(1, a, b) -> a', (b, { x, y, c }) => b.where(c(1), x, y), 'x'],
  ['where(0, a, b) -> b', (b, { x, y, c }) => b.where(c(0), x, y), 'y'],
  ['where(c, a, a) -> a', (b, { x, y }) => b.where(x, y, y), 'y'],
  ['where(c, a, b) stays', (b, { x, y }) => b.where(x, y, x), 'where(x, y, x)'],
  ['max(x, x) -> x', (b, { x }) => b.max(x, x), 'x'],
  ['stopGradient(c) -> c', (b, { c }) => b.stopGradient(c(2)), '2'],
  ['stopGradient(x) stays', (b, { x }) => b.stopGradient(x), 'stopGradient(x)'],
  // canonical order and folding
  ['constants fold', (b, { x, c }) => b.add(b.mul(c(2), c(3)), x), '(6 + x)'],
  ['exp(0) * x -> x', (b, { x, c }) => b.mul(b.exp(c(0)), x), 'x'],
  ['constants go first in sums', (b, { x, c }) => b.add(x, c(2)), '(2 + x)'],
  ['constants go first in products', (b, { x, c }) => b.mul(x, c(2)), '(2 * x)'],
  ['y * x -> x * y', (b, { x, y }) => b.mul(y, x), '(x * y)'],
  ['y + x -> x + y', (b, { x, y }) => b.add(y, x), '(x + y)'],
  ['x*y - y*x -> 0', (b, { x, y }) => b.sub(b.mul(x, y), b.mul(y, x)), '0'],
  ['max keeps its order (gradient at ties)', (b, { x, y }) => b.max(y, x), 'max(y, x)'],
]

describe('arithmeticRules (through simplify)', () => {
  it.each(cases)('%s', (_name, recipe, expected) => {
    expect(simplified(recipe)).toBe(expected)
  })
})

describe('shape preservation', () => {
  it('broadcasts a scalar result back to the node shape: x[3] * 0 -> 0:[3]', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.mul(b.input('v', [3]), b.scalar(0)))
    const r = simplify(graph, [result])
    expect(showOutput(r)).toBe('0:[3]')
  })

  it('broadcasts an operand that is smaller than the node: x * ones[2,3] -> broadcast(x)', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) =>
      b.mul(b.input('v', [3]), b.scalar(1, 'f64', [2, 3])),
    )
    const r = simplify(graph, [result])
    expect(showOutput(r)).toBe('broadcast(v; shape=2,3)')
  })

  it('keeps f32', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [2], 'f32')
      return b.add(b.mul(x, b.scalar(0, 'f32')), b.scalar(0.1, 'f32'))
    })
    const r = simplify(graph, [result])
    const out = r.graph.nodes[r.outputs[0]!]!
    expect(out).toMatchObject({ op: 'const', shape: [2], dtype: 'f32', attrs: { value: Math.fround(0.1) } })
  })
})
