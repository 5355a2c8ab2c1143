import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../../builder.js'
import { emptyGraph, type NodeId } from '../../graph.js'
import { simplify } from '../simplify.js'
import { evaluate, showOutput } from '../testing/helpers.js'

type Case = [string, (b: Builder) => NodeId, string]

const x = (b: Builder) => b.input('x')
const v = (b: Builder) => b.input('v', [3])
const m = (b: Builder) => b.input('m', [2, 3])
const one = (b: Builder) => b.scalar(1)

const cases: Case[] = [
  ['log(sigmoid a) -> -softplus(-a)', (b) => b.log(b.sigmoid(x(b))), '-softplus(-x)'],
  ['log(1 - sigmoid a) -> -softplus(a)', (b) => b.log(b.sub(one(b), b.sigmoid(x(b)))), '-softplus(x)'],
  ['log(1 + exp a) -> softplus(a)', (b) => b.log(b.add(one(b), b.exp(x(b)))), 'softplus(x)'],
  ['log(exp a + 1) -> softplus(a)', (b) => b.log(b.add(b.exp(x(b)), one(b))), 'softplus(x)'],
  ['1 / (1 + exp(-a)) -> sigmoid(a)', (b) => b.div(one(b), b.add(one(b), b.exp(b.neg(x(b))))), 'sigmoid(x)'],
  ['log(softmax x) -> logSoftmax x', (b) => b.log(b.softmax(v(b), 0)), 'logSoftmax(v; axis=0)'],
  [
    'log(sum(exp x, [axis])) -> logSumExp(x, axis)',
    (b) => b.log(b.sum(b.exp(m(b)), [1], true)),
    'logSumExp(m; axis=1; keepdims)',
  ],
  ['log(sum(exp x)) over two axes stays', (b) => b.log(b.sum(b.exp(m(b)))), 'log(sum(exp(m); axes=0,1))'],
  ['exp(logSoftmax x) -> softmax x', (b) => b.exp(b.logSoftmax(m(b), 1)), 'softmax(m; axis=1)'],
]

describe('stableRules (through simplify)', () => {
  it.each(cases)('%s', (_name, recipe, expected) => {
    const { graph, result } = buildOrThrow(emptyGraph, recipe)
    expect(showOutput(simplify(graph, [result]))).toBe(expected)
  })

  it('are left out with stable: false', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.log(b.sigmoid(x(b))))
    expect(showOutput(simplify(graph, [result], { stable: false }))).toBe('log(sigmoid(x))')
  })

  it('give finite values where the naive form underflows', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.log(b.sigmoid(x(b))))
    // log(sigmoid(-800)) is log(0) = -Infinity in float64; the stable form gives -800.
    expect(evaluate(graph, { x: -800 })[result]).toBe(-Infinity)
    const r = simplify(graph, [result])
    expect(evaluate(r.graph, { x: -800 })[r.outputs[0]!]).toBe(-800)
  })
})
