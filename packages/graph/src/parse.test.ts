import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { build, type Builder, buildOrThrow } from './builder.js'
import { sameExpression } from './equal.js'
import { emptyGraph, inputsOf, type NodeId } from './graph.js'
import type { UnaryOp } from './ops.js'
import { parse, type ParseOptions, parseInto } from './parse.js'
import { evaluateScalar } from './testing/evaluate.js'
import { referenceCases } from './testing/reference-files.js'

const parsed = (text: string, opts?: ParseOptions) => {
  const r = parse(text, opts)
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const expected = (recipe: (b: Builder, v: (name: string) => NodeId) => NodeId) =>
  buildOrThrow(emptyGraph, (b) => recipe(b, (name) => b.input(name)))

const sameAs = (text: string, recipe: Parameters<typeof expected>[0], opts?: ParseOptions): boolean => {
  const p = parsed(text, opts)
  const e = expected(recipe)
  return sameExpression(p.graph, p.output, e.graph, e.result)
}

describe('parse: grammar', () => {
  it.each<[string, Parameters<typeof expected>[0]]>([
    ['a + b*c', (b, v) => b.add(v('a'), b.mul(v('b'), v('c')))],
    ['a - b - c', (b, v) => b.sub(b.sub(v('a'), v('b')), v('c'))],
    ['a/b*c', (b, v) => b.mul(b.div(v('a'), v('b')), v('c'))],
    ['a^b^c', (b, v) => b.pow(v('a'), b.pow(v('b'), v('c')))],
    ['a**b**c', (b, v) => b.pow(v('a'), b.pow(v('b'), v('c')))],
    ['(a^b)^c', (b, v) => b.pow(b.pow(v('a'), v('b')), v('c'))],
    ['-x^2', (b, v) => b.neg(b.pow(v('x'), b.scalar(2)))],
    ['(-x)^2', (b, v) => b.pow(b.neg(v('x')), b.scalar(2))],
    ['-x*y', (b, v) => b.mul(b.neg(v('x')), v('y'))],
    ['--x', (b, v) => b.neg(b.neg(v('x')))],
    ['2^-x', (b, v) => b.pow(b.scalar(2), b.neg(v('x')))],
    ['x^-y*z', (b, v) => b.mul(b.pow(v('x'), b.neg(v('y'))), v('z'))],
    ['(a + b)*c', (b, v) => b.mul(b.add(v('a'), v('b')), v('c'))],
    ['pow(a, b) + max(a, b) - min(a, b)', (b, v) =>
      b.sub(b.add(b.pow(v('a'), v('b')), b.max(v('a'), v('b'))), b.min(v('a'), v('b')))],
    ['pi*e', (b) => b.mul(b.scalar(Math.PI), b.scalar(Math.E))],
    ['  x\t*\n y ', (b, v) => b.mul(v('x'), v('y'))],
    ['x_1 + X2', (b, v) => b.add(v('x_1'), v('X2'))],
  ])('%s', (text, recipe) => {
    expect(sameAs(text, recipe)).toBe(true)
  })

  it('does not confuse neighbouring readings', () => {
    expect(sameAs('a - b - c', (b, v) => b.sub(v('a'), b.sub(v('b'), v('c'))))).toBe(false)
    expect(sameAs('a^b^c', (b, v) => b.pow(b.pow(v('a'), v('b')), v('c')))).toBe(false)
    expect(sameAs('-x^2', (b, v) => b.pow(b.neg(v('x')), b.scalar(2)))).toBe(false)
  })
})

describe('parse: numbers and negative literals', () => {
  it.each([
    ['1.5e-3', 0.0015],
    ['2E+1', 20],
    ['3.0e0', 3],
    ['007', 7],
    ['0.1', 0.1],
    ['1e999', Infinity],
    ['-2', -2],
    ['- 2.5', -2.5],
    ['-0', -0],
  ])('%s is the constant %d', (text, value) => {
    const p = parsed(text)
    expect(p.graph.nodes).toHaveLength(1)
    expect(p.graph.nodes[0]!.op).toBe('const')
    expect(Object.is(p.graph.nodes[0]!.attrs.value, value)).toBe(true)
  })

  it.each<[string, Parameters<typeof expected>[0]]>([
    ['-(2)', (b) => b.neg(b.scalar(2))],
    ['-2^2', (b) => b.neg(b.pow(b.scalar(2), b.scalar(2)))],
    ['-2**x', (b, v) => b.neg(b.pow(b.scalar(2), v('x')))],
    ['2^-3', (b) => b.pow(b.scalar(2), b.scalar(-3))],
    ['2^-3^2', (b) => b.pow(b.scalar(2), b.neg(b.pow(b.scalar(3), b.scalar(2))))],
    ['-2*x', (b, v) => b.mul(b.scalar(-2), v('x'))],
    ['x - -2', (b, v) => b.sub(v('x'), b.scalar(-2))],
    ['x*(-2)', (b, v) => b.mul(v('x'), b.scalar(-2))],
    ['(-2)^x', (b, v) => b.pow(b.scalar(-2), v('x'))],
    ['--2', (b) => b.neg(b.scalar(-2))],
  ])('%s', (text, recipe) => {
    expect(sameAs(text, recipe)).toBe(true)
  })
})

describe('parse: functions and variables', () => {
  const unary: UnaryOp[] = ['exp', 'log', 'sqrt', 'sin', 'cos', 'tan', 'tanh', 'sigmoid', 'relu', 'abs', 'square', 'softplus']
  it.each(unary)('%s(x) is the op %s', (name) => {
    expect(sameAs(`${name}(x)`, (b, v) => b.unary(name, v('x')))).toBe(true)
  })

  it('lists variables once each, in order of first appearance, as scalar f64 inputs', () => {
    const p = parsed('0.5*(sigmoid(w*x) - t)^2 + w')
    expect(p.variables).toEqual(['w', 'x', 't'])
    const inputs = inputsOf(p.graph)
    expect([...inputs.keys()]).toEqual(['w', 'x', 't'])
    for (const id of inputs.values()) expect(p.graph.nodes[id]).toMatchObject({ shape: [], dtype: 'f64' })
  })

  it('builds every variable and constant in the requested dtype', () => {
    const p = parsed('x*2 + pi', { dtype: 'f32' })
    expect(p.graph.nodes.every((n) => n.dtype === 'f32')).toBe(true)
  })

  it('shares repeated subexpressions (hash-consing)', () => {
    const p = parsed('sin(x)*sin(x)')
    expect(p.graph.nodes.map((n) => n.op)).toEqual(['input', 'sin', 'mul'])
  })

  it('reads the full dialect only when asked', () => {
    const full: ParseOptions = { dialect: 'full' }
    expect(sameAs('sign(x)', (b, v) => b.sign(v('x')), full)).toBe(true)
    expect(sameAs('stopGradient(x)', (b, v) => b.stopGradient(v('x')), full)).toBe(true)
    expect(sameAs('mulNoNan(x, y)', (b, v) => b.mulNoNan(v('x'), v('y')), full)).toBe(true)
    expect(sameAs('greater(x, y)', (b, v) => b.greater(v('x'), v('y')), full)).toBe(true)
    expect(sameAs('greaterEqual(x, y)', (b, v) => b.greaterEqual(v('x'), v('y')), full)).toBe(true)
    expect(sameAs('equal(x, y)', (b, v) => b.equal(v('x'), v('y')), full)).toBe(true)
    expect(sameAs('where(c, x, y)', (b, v) => b.where(v('c'), v('x'), v('y')), full)).toBe(true)
    expect(parse('sign(x)')).toEqual(
      E.left({ _tag: 'ParseError', column: 1, message: "unknown function 'sign' at column 1" }),
    )
  })
})

describe('parse: errors', () => {
  it.each([
    ['sin(x))', 7, "unexpected ')' at column 7"],
    ['sin(x) + (y', 12, 'unexpected end of input at column 12'],
    ['', 1, 'unexpected end of input at column 1'],
    ['x^', 3, 'unexpected end of input at column 3'],
    ['foo(x)', 1, "unknown function 'foo' at column 1"],
    ['1 + pi(2)', 5, "unknown function 'pi' at column 5"],
    ['sin(x, y)', 1, 'sin takes 1 argument, got 2 at column 1'],
    ['2*pow(x)', 3, 'pow takes 2 arguments, got 1 at column 3'],
    ['x $ y', 3, "unexpected character '$' at column 3"],
    ['_x', 1, "unexpected character '_' at column 1"],
    ['1.', 2, "unexpected character '.' at column 2"],
    ['2e', 2, "unexpected 'e' at column 2"],
    ['x y', 3, "unexpected 'y' at column 3"],
    ['max(x,)', 7, "unexpected ')' at column 7"],
    ['sin + 1', 5, "expected '(' after 'sin' at column 5"],
    ['x * * y', 5, "unexpected '*' at column 5"],
  ])('%j', (text, column, message) => {
    expect(parse(text)).toEqual(E.left({ _tag: 'ParseError', column, message }))
  })

  it('where takes 3 arguments in the full dialect', () => {
    expect(parse('where(c, x)', { dialect: 'full' })).toEqual(
      E.left({ _tag: 'ParseError', column: 1, message: 'where takes 3 arguments, got 2 at column 1' }),
    )
  })

  it('refuses absurd nesting with an error instead of a stack overflow', () => {
    const r = parse(`${'('.repeat(5000)}x${')'.repeat(5000)}`)
    expect(E.isLeft(r) && r.left._tag === 'ParseError' && r.left.message.startsWith('expression nested too deeply')).toBe(true)
    expect(E.isRight(parse(`${'('.repeat(200)}x${')'.repeat(200)}`))).toBe(true)
  })
})

describe('parseInto', () => {
  it('adds the expression to a graph under construction, reusing its inputs', () => {
    const base = expected((b, v) => b.exp(v('x')))
    const built = build(base.graph, (b) => b.mul(parseInto(b, 'x^2 + y'), b.input('x')))
    if (E.isLeft(built)) throw new Error(built.left.message)
    const { graph } = built.right
    expect(graph.nodes.slice(0, base.graph.nodes.length)).toEqual(base.graph.nodes)
    expect([...inputsOf(graph).keys()]).toEqual(['x', 'y'])
    const want = expected((b, v) => b.mul(b.add(b.pow(v('x'), b.scalar(2)), v('y')), v('x')))
    expect(sameExpression(graph, built.right.result, want.graph, want.result)).toBe(true)
  })

  it('turns a parse error into the Left of build', () => {
    expect(build(emptyGraph, (b) => parseInto(b, 'x +'))).toEqual(
      E.left({ _tag: 'ParseError', column: 4, message: 'unexpected end of input at column 4' }),
    )
  })
})

interface ScalarCase {
  id: string
  expr: string
  points: { at: Record<string, number>; value: number; gradient: Record<string, number> }[]
  derivatives?: Record<string, string>
}

const scalarCases = referenceCases<ScalarCase>('scalar-expressions')

const close = (actual: number, wanted: number): boolean => Math.abs(actual - wanted) <= 1e-9 * Math.abs(wanted) + 1e-12

describe('parse: reference expressions', () => {
  it('finds reference cases', () => {
    expect(scalarCases.length).toBeGreaterThan(0)
  })

  it.each(scalarCases.map((c) => [c.id, c] as const))('%s: value and derivative forms', (_id, c) => {
    const p = parsed(c.expr)
    for (const point of c.points) {
      expect(close(evaluateScalar(p.graph, p.output, point.at), point.value)).toBe(true)
      for (const [v, form] of Object.entries(c.derivatives ?? {})) {
        const d = parsed(form)
        expect(close(evaluateScalar(d.graph, d.output, point.at), point.gradient[v]!)).toBe(true)
      }
    }
  })
})
