import { type Builder, buildOrThrow, emptyGraph, type NodeId, type OpName, opNames, ops, type Shape } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { grad } from './grad.js'
import { gradcheck, type Values } from './gradcheck.js'
import { pseudoRandom, uniform } from './testing/support.js'
import { evaluate } from '@backprop/backend-cpu'

/**
 * One case per op: operand shapes, the interval operands are drawn from (kept
 * away from kinks, poles and singularities), and how to apply the op.
 */
interface OpCase {
  readonly shapes: readonly Shape[]
  readonly range?: readonly [number, number]
  readonly apply: (b: Builder, xs: readonly NodeId[]) => NodeId
}

const un = (op: OpName, range?: readonly [number, number]): OpCase => ({
  shapes: [[2, 3]],
  range,
  apply: (b, [x]) => b.apply(op, [x!]),
})
// Binary ops with broadcasting: a row [3] against a matrix [2,3].
const bin = (op: OpName, range?: readonly [number, number]): OpCase => ({
  shapes: [[2, 3], [3]],
  range,
  apply: (b, [x, y]) => b.apply(op, [x!, y!]),
})

const cases: { readonly [K in OpName]: OpCase | 'leaf' | 'no-gradient' } = {
  input: 'leaf',
  param: 'leaf',
  const: 'leaf',
  neg: un('neg'),
  exp: un('exp'),
  log: un('log', [0.2, 3]),
  sqrt: un('sqrt', [0.2, 3]),
  sin: un('sin'),
  cos: un('cos'),
  tan: un('tan', [-1.2, 1.2]),
  tanh: un('tanh'),
  sigmoid: un('sigmoid'),
  relu: un('relu'),
  abs: un('abs'),
  square: un('square'),
  softplus: un('softplus'),
  erf: un('erf'),
  step: 'no-gradient',
  sign: 'no-gradient',
  stopGradient: 'no-gradient',
  add: bin('add'),
  sub: bin('sub'),
  mul: bin('mul'),
  div: bin('div', [0.5, 2]),
  pow: bin('pow', [0.5, 2]),
  max: bin('max'),
  min: bin('min'),
  mulNoNan: bin('mulNoNan', [0.5, 2]),
  greater: 'no-gradient',
  greaterEqual: 'no-gradient',
  equal: 'no-gradient',
  where: {
    shapes: [[2, 3], [2, 3]],
    apply: (b, [x, y]) => b.where(b.greater(x!, y!), b.sin(x!), b.mul(x!, y!)),
  },
  matmul: { shapes: [[2, 3], [3, 4]], apply: (b, [x, y]) => b.matmul(x!, y!) },
  transpose: { shapes: [[2, 3, 4]], apply: (b, [x]) => b.transpose(x!, [1, 2, 0]) },
  reshape: { shapes: [[2, 3]], apply: (b, [x]) => b.reshape(x!, [3, 2]) },
  broadcast: { shapes: [[3, 1]], apply: (b, [x]) => b.broadcast(x!, [2, 3, 4]) },
  // Squared and multiplied, so that second derivatives flow back through the op too.
  slice: { shapes: [[2, 4]], apply: (b, [x]) => b.square(b.slice(x!, 1, 3, 1)) },
  index: { shapes: [[2, 3, 2]], apply: (b, [x]) => b.square(b.index(x!, 2, 1)) },
  concat: { shapes: [[2, 3], [1, 3]], apply: (b, [x, y]) => b.mul(b.concat([x!, y!], 0), b.concat([y!, x!], 0)) },
  sum: { shapes: [[2, 3, 4]], apply: (b, [x]) => b.sum(x!, [0, 2]) },
  reduceMax: { shapes: [[2, 3, 4]], apply: (b, [x]) => b.reduceMax(x!, [1], true) },
  softmax: { shapes: [[2, 3]], apply: (b, [x]) => b.softmax(x!, 0) },
  logSoftmax: { shapes: [[2, 3]], apply: (b, [x]) => b.logSoftmax(x!, 1) },
  logSumExp: { shapes: [[2, 3]], apply: (b, [x]) => b.logSumExp(x!, 1) },
}

const names = ['x', 'y', 'z']

/**
 * E = sum(op(xs) * c) with fixed pseudo-random weights c, so that every
 * element of the op's result matters; returns E and, for second derivatives,
 * E2 = sum over operands of sum(dE/dx_i * v_i) for fixed directions v_i.
 */
const setup = (op: OpName, c: OpCase, seed: number) => {
  const random = pseudoRandom(seed)
  const [lo, hi] = c.range ?? [-2, 2]
  const feeds: Record<string, Values[string]> = {}
  const first = buildOrThrow(emptyGraph, (b) => {
    const xs = c.shapes.map((s, i) => b.input(names[i]!, s))
    c.shapes.forEach((s, i) => (feeds[names[i]!] = uniform(random, s, lo, hi)))
    const y = c.apply(b, xs)
    const weights = uniform(random, b.node(y).shape, -1, 1)
    return { xs, loss: b.sum(b.mul(y, b.constant([...weights.data], weights.shape))) }
  })
  return { ...first, feeds, random }
}

describe('derivative rules', () => {
  it('every op has a case in this table', () => {
    expect(Object.keys(cases).sort()).toEqual([...opNames].sort())
  })

  describe.each(opNames.filter((op) => typeof cases[op] === 'object'))('%s', (op) => {
    const c = cases[op] as OpCase
    const wrt = names.slice(0, c.shapes.length)

    it('first derivatives match central differences', () => {
      for (const seed of [1, 2, 3]) {
        const { graph, result, feeds } = setup(op, c, seed)
        const report = gradcheck(graph, result.loss, wrt, feeds, evaluate)
        expect(E.isRight(report) && report.right.ok, JSON.stringify(E.isRight(report) ? report.right.worst : report.left)).toBe(true)
      }
    })

    it('second derivatives (grad of the gradient graph) match central differences', () => {
      const { graph, result, feeds, random } = setup(op, c, 7)
      const first = grad(graph, result.loss, result.xs)
      if (E.isLeft(first)) throw new Error(first.left.message)
      const second = buildOrThrow(first.right.graph, (b) =>
        first.right.gradients
          .map((g) => b.sum(b.mul(g, b.constant([...uniform(random, b.node(g).shape, -1, 1).data], b.node(g).shape))))
          .reduce((acc, t) => b.add(acc, t)),
      )
      const report = gradcheck(second.graph, second.result, wrt, feeds, evaluate, { rtol: 1e-4, atol: 1e-6 })
      expect(E.isRight(report) && report.right.ok, JSON.stringify(E.isRight(report) ? report.right.worst : report.left)).toBe(true)
    })
  })

  it.each(opNames.filter((op) => cases[op] === 'no-gradient'))('%s passes no gradient', (op) => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [3])
      const args = Array.from({ length: ops[op].arity }, () => x)
      return { x, y: b.sum(b.apply(op, args)) }
    })
    const g = grad(graph, result.y, [result.x])
    if (E.isLeft(g)) throw new Error(g.left.message)
    const node = g.right.graph.nodes[g.right.gradients[0]!]!
    expect(node.op).toBe('const')
    expect(node.attrs.value).toBe(0)
  })
})
