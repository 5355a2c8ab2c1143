import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Builder, buildOrThrow } from './builder.js'
import { sameExpression } from './equal.js'
import { emptyGraph, type NodeId } from './graph.js'
import { parse, type ParseOptions } from './parse.js'
import { toText, toTextAll } from './print-text.js'
import { arbitraryScalarGraph } from './testing/arbitrary.js'
import { evaluateScalar } from './testing/evaluate.js'

type Recipe = (b: Builder, v: (name: string) => NodeId) => NodeId

const make = (recipe: Recipe) => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => recipe(b, (name) => b.input(name)))
  return { graph, output: result }
}

const reads = (text: string, opts?: ParseOptions) => {
  const r = parse(text, opts)
  if (E.isLeft(r)) throw new Error(`${text}: ${r.left.message}`)
  return r.right
}

describe('toText: parentheses and signs', () => {
  it.each<[string, Recipe]>([
    ['a - (b - c)', (b, v) => b.sub(v('a'), b.sub(v('b'), v('c')))],
    ['a - b - c', (b, v) => b.sub(b.sub(v('a'), v('b')), v('c'))],
    ['a + (b + c)', (b, v) => b.add(v('a'), b.add(v('b'), v('c')))],
    ['a + b*c', (b, v) => b.add(v('a'), b.mul(v('b'), v('c')))],
    ['(a + b)*c', (b, v) => b.mul(b.add(v('a'), v('b')), v('c'))],
    ['a/(b*c)', (b, v) => b.div(v('a'), b.mul(v('b'), v('c')))],
    ['a/b*c', (b, v) => b.mul(b.div(v('a'), v('b')), v('c'))],
    ['a*(b/c)', (b, v) => b.mul(v('a'), b.div(v('b'), v('c')))],
    ['(-x)^2', (b, v) => b.pow(b.neg(v('x')), b.scalar(2))],
    ['-x^2', (b, v) => b.neg(b.pow(v('x'), b.scalar(2)))],
    ['x^y^z', (b, v) => b.pow(v('x'), b.pow(v('y'), v('z')))],
    ['(x^y)^z', (b, v) => b.pow(b.pow(v('x'), v('y')), v('z'))],
    ['x^(y*z)', (b, v) => b.pow(v('x'), b.mul(v('y'), v('z')))],
    ['(x*y)^z', (b, v) => b.pow(b.mul(v('x'), v('y')), v('z'))],
    ['x*(-2)', (b, v) => b.mul(v('x'), b.scalar(-2))],
    ['x - (-2)', (b, v) => b.sub(v('x'), b.scalar(-2))],
    ['x + (-y)', (b, v) => b.add(v('x'), b.neg(v('y')))],
    ['-2*x', (b, v) => b.mul(b.scalar(-2), v('x'))],
    ['-x + y', (b, v) => b.add(b.neg(v('x')), v('y'))],
    ['-x*y', (b, v) => b.mul(b.neg(v('x')), v('y'))],
    ['-(x*y)', (b, v) => b.neg(b.mul(v('x'), v('y')))],
    ['-(x + y)', (b, v) => b.neg(b.add(v('x'), v('y')))],
    ['-(-x)', (b, v) => b.neg(b.neg(v('x')))],
    ['-(2)', (b) => b.neg(b.scalar(2))],
    ['-(-2)', (b) => b.neg(b.scalar(-2))],
    ['-2^x', (b, v) => b.neg(b.pow(b.scalar(2), v('x')))],
    ['(-2)^x', (b, v) => b.pow(b.scalar(-2), v('x'))],
    ['x^-2', (b, v) => b.pow(v('x'), b.scalar(-2))],
    ['2^-x', (b, v) => b.pow(b.scalar(2), b.neg(v('x')))],
    ['x^-2*y', (b, v) => b.mul(b.pow(v('x'), b.scalar(-2)), v('y'))],
    ['sin(x) + max(x, y)', (b, v) => b.add(b.sin(v('x')), b.max(v('x'), v('y')))],
    ['square(x - 1)', (b, v) => b.square(b.sub(v('x'), b.scalar(1)))],
    ['0.5*(sigmoid(w*x) - t)^2', (b, v) =>
      b.mul(b.scalar(0.5), b.pow(b.sub(b.sigmoid(b.mul(v('w'), v('x'))), v('t')), b.scalar(2)))],
  ])('%s', (text, recipe) => {
    const { graph, output } = make(recipe)
    expect(toText(graph, output)).toBe(text)
    const back = reads(text)
    expect(sameExpression(back.graph, back.output, graph, output)).toBe(true)
  })
})

describe('toText: numbers', () => {
  it.each([
    [0.1, '0.1'],
    [1e-7, '1e-7'],
    [1.5e21, '1.5e+21'],
    [-2.5e-8, '-2.5e-8'],
    [-0, '-0'],
    [Math.PI, 'pi'],
    [Math.E, 'e'],
    [Infinity, '1e999'],
    [-Infinity, '-1e999'],
    [5e-324, '5e-324'],
  ])('%d prints as %s and reads back as the same float64', (value, text) => {
    const { graph, output } = make((b) => b.scalar(value))
    expect(toText(graph, output)).toBe(text)
    const back = reads(text)
    expect(Object.is(back.graph.nodes[back.output]!.attrs.value, value)).toBe(true)
  })

  it('prints NaN as (0/0), a division that evaluates to NaN', () => {
    const { graph, output } = make((b, v) => b.add(v('x'), b.scalar(NaN)))
    expect(toText(graph, output)).toBe('x + (0/0)')
    const back = reads('x + (0/0)')
    expect(evaluateScalar(back.graph, back.output, { x: 1 })).toBeNaN()
  })
})

describe('toText: ops outside the contract syntax', () => {
  const cases: [string, string, string, Recipe][] = [
    ['sign', 'step(x) - step(-x)', 'sign(x)', (b, v) => b.sign(v('x'))],
    ['sign of a sum', 'step(x + y) - step(-(x + y))', 'sign(x + y)', (b, v) => b.sign(b.add(v('x'), v('y')))],
    ['greater', 'step(x - y)', 'greater(x, y)', (b, v) => b.greater(v('x'), v('y'))],
    ['greater than 0', 'step(x)', 'greater(x, 0)', (b, v) => b.greater(v('x'), b.scalar(0))],
    ['greaterEqual', '1 - step(y - x)', 'greaterEqual(x, y)', (b, v) => b.greaterEqual(v('x'), v('y'))],
    ['equal', '1 - step(x - y) - step(y - x)', 'equal(x, y)', (b, v) => b.equal(v('x'), v('y'))],
    ['where', 'c*x + (1 - c)*y', 'where(c, x, y)', (b, v) => b.where(v('c'), v('x'), v('y'))],
    ['mulNoNan', 'x*y', 'mulNoNan(x, y)', (b, v) => b.mulNoNan(v('x'), v('y'))],
    ['stopGradient', 'sin(x)', 'sin(stopGradient(x))', (b, v) => b.sin(b.stopGradient(v('x')))],
    [
      'where of a step',
      'step(x - y)*(x + y) + (1 - step(x - y))*y',
      'where(greater(x, y), x + y, y)',
      (b, v) => b.where(b.greater(v('x'), v('y')), b.add(v('x'), v('y')), v('y')),
    ],
  ]
  const points = [
    { x: 0.7, y: -1.3, c: 1 },
    { x: -0.4, y: 0.9, c: 0 },
    { x: 2.5, y: 2.25, c: 1 },
    // Kinks: the forms are exact there too.
    { x: 0, y: 0, c: 1 },
    { x: 1.5, y: 1.5, c: 0 },
    { x: -0, y: 2, c: 0 },
  ]

  it.each(cases)('%s: contract form %s equals the op everywhere, kinks included', (_name, text, _full, recipe) => {
    const { graph, output } = make(recipe)
    expect(toText(graph, output)).toBe(text)
    const back = reads(text)
    for (const at of points) {
      expect(evaluateScalar(back.graph, back.output, at)).toBeCloseTo(evaluateScalar(graph, output, at), 12)
    }
  })

  it.each(cases)('%s: full dialect %s reads back exactly', (_name, _text, full, recipe) => {
    const { graph, output } = make(recipe)
    expect(toText(graph, output, { dialect: 'full' })).toBe(full)
    const back = reads(full, { dialect: 'full' })
    expect(sameExpression(back.graph, back.output, graph, output)).toBe(true)
  })
})

describe('toText: tensor ops', () => {
  it.each<[string, Recipe]>([
    ['sum(x, axes=[0])', (b) => b.sum(b.input('x', [2, 3]), [0])],
    ['sum(x, axes=[0,1], keepdims=true)', (b) => b.sum(b.input('x', [2, 3]), undefined, true)],
    ['reduceMax(x, axes=[1])', (b) => b.reduceMax(b.input('x', [2, 3]), [-1])],
    ['matmul(W, z) + b', (b) => b.add(b.matmul(b.input('W', [3, 2]), b.input('z', [2, 1])), b.input('b', [3, 1]))],
    ['softmax(a, axis=1)', (b) => b.softmax(b.input('a', [2, 3]), 1)],
    ['logSoftmax(a, axis=1)', (b) => b.logSoftmax(b.input('a', [2, 3]))],
    ['logSumExp(a, axis=0, keepdims=true)', (b) => b.logSumExp(b.input('a', [2, 3]), 0, true)],
    ['transpose(W)', (b) => b.transpose(b.input('W', [3, 2]))],
    ['transpose(x, perm=[1,0,2])', (b) => b.transpose(b.input('x', [2, 3, 4]), [1, 0, 2])],
    ['reshape(x, shape=[3,2])', (b) => b.reshape(b.input('x', [2, 3]), [3, 2])],
    ['broadcast(x, shape=[2,3])', (b) => b.broadcast(b.input('x', [3]), [2, 3])],
    ['tensor([1, -2], shape=[2])', (b) => b.constant([1, -2], [2])],
    ['fill(0.5, shape=[2,3])', (b) => b.scalar(0.5, 'f64', [2, 3])],
    ['tensor(shape=[20])', (b) => b.constant(new Array<number>(20).fill(1), [20])],
  ])('%s', (text, recipe) => {
    const { graph, output } = make(recipe)
    expect(toText(graph, output)).toBe(text)
  })
})

describe('toTextAll', () => {
  it('prints several outputs of one graph in order', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      const s = b.sin(x)
      return [b.mul(s, s), x, s] as const
    })
    expect(toTextAll(graph, result)).toEqual(['sin(x)*sin(x)', 'x', 'sin(x)'])
  })
})

describe('toText: round trips', () => {
  it('parse(toText(g)) is the same expression for random contract graphs', () => {
    fc.assert(
      fc.property(arbitraryScalarGraph(), ({ graph, output }) => {
        const back = reads(toText(graph, output))
        return sameExpression(back.graph, back.output, graph, output)
      }),
      { numRuns: 300 },
    )
  })

  it('parse(toText(g, full), full) is the same expression for random graphs of every scalar op', () => {
    const full = { dialect: 'full' } as const
    fc.assert(
      fc.property(arbitraryScalarGraph(full), ({ graph, output }) => {
        const back = reads(toText(graph, output, full), full)
        return sameExpression(back.graph, back.output, graph, output)
      }),
      { numRuns: 300 },
    )
  })

  it('keeps the dtype when parsed with it', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.mul(b.input('x', [], 'f32'), b.scalar(-1.5, 'f32')))
    const back = reads(toText(graph, result), { dtype: 'f32' })
    expect(sameExpression(back.graph, back.output, graph, result)).toBe(true)
  })
})
