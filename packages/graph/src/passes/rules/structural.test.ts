import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../../builder.js'
import { emptyGraph, type NodeId } from '../../graph.js'
import { simplify } from '../simplify.js'
import { showOutput } from '../testing/helpers.js'

type Case = [string, (b: Builder) => NodeId, string]

const m = (b: Builder) => b.input('m', [2, 3])
const t = (b: Builder) => b.input('t', [2, 3, 4])
const u = (b: Builder) => b.input('u', [2, 1, 3])

const cases: Case[] = [
  ['transpose(transpose(m)) -> m', (b) => b.transpose(b.transpose(m(b))), 'm'],
  ['transpose(m, identity) -> m', (b) => b.transpose(m(b), [0, 1]), 'm'],
  [
    'transpose(transpose(t, p), q) -> transpose(t, p∘q)',
    (b) => b.transpose(b.transpose(t(b), [1, 2, 0]), [1, 2, 0]),
    'transpose(t; perm=2,0,1)',
  ],
  [
    'transpose(matmul(transpose(a), b)) -> matmul(transpose(b), a)',
    (b) => b.transpose(b.matmul(b.transpose(b.input('a', [2, 3])), b.input('c', [2, 4]))),
    'matmul(transpose(c; perm=1,0), a)',
  ],
  [
    'transpose(matmul(a, b)) stays when no transpose cancels',
    (b) => b.transpose(b.matmul(b.input('a', [3, 2]), b.input('c', [2, 4]))),
    'transpose(matmul(a, c); perm=1,0)',
  ],
  [
    'transpose(matmul(s, transpose(v))) -> matmul(v, s) for a [1,1] s and a column v (rows and columns transpose freely)',
    (b) => b.transpose(b.matmul(b.input('s', [1, 1]), b.transpose(b.input('v', [3, 1])))),
    'matmul(v, s)',
  ],
  [
    'transpose(matmul(row, m)) stays: it is a reshape, while transpose(m) would not be',
    (b) => b.transpose(b.matmul(b.input('r', [1, 2]), b.input('c', [2, 4]))),
    'reshape(matmul(r, c); shape=4,1)',
  ],
  ['transpose of a column -> reshape', (b) => b.transpose(b.input('v', [3, 1])), 'reshape(v; shape=1,3)'],
  [
    'transpose moving only extent-1 axes -> reshape',
    (b) => b.transpose(b.input('w', [1, 3, 1, 2]), [1, 0, 3, 2]),
    'reshape(w; shape=3,1,2,1)',
  ],
  ['transpose of a matrix stays', (b) => b.transpose(m(b)), 'transpose(m; perm=1,0)'],
  ['reshape to the same shape -> x', (b) => b.reshape(m(b), [2, 3]), 'm'],
  ['reshape(reshape(x)) -> reshape(x)', (b) => b.reshape(b.reshape(m(b), [6]), [3, 2]), 'reshape(m; shape=3,2)'],
  ['reshape(reshape(x)) back to its shape -> x', (b) => b.reshape(b.reshape(m(b), [6]), [2, 3]), 'm'],
  ['broadcast to the same shape -> x', (b) => b.broadcast(m(b), [2, 3]), 'm'],
  [
    'broadcast(broadcast(x)) -> broadcast(x)',
    (b) => b.broadcast(b.broadcast(b.input('v', [3]), [2, 3]), [4, 2, 3]),
    'broadcast(v; shape=4,2,3)',
  ],
  ['sum over no axes -> x', (b) => b.sum(m(b), []), 'm'],
  ['sum over an extent-1 axis -> reshape', (b) => b.sum(u(b), [1]), 'reshape(u; shape=2,3)'],
  ['sum over an extent-1 axis, kept -> x', (b) => b.sum(u(b), [1], true), 'u'],
  ['reduceMax over an extent-1 axis -> reshape', (b) => b.reduceMax(u(b), [1]), 'reshape(u; shape=2,3)'],
  ['sum over a real axis stays', (b) => b.sum(u(b), [2]), 'sum(u; axes=2)'],
  ['sum(broadcast(x)) -> count * x', (b) => b.sum(b.broadcast(b.input('x'), [2, 3])), '(6 * x)'],
  [
    'sum(broadcast(x), axis) -> count * x, broadcast',
    (b) => b.sum(b.broadcast(b.input('x'), [2, 3]), [1]),
    'broadcast((3 * x); shape=2)',
  ],
  [
    'sum(broadcast(x[1,1])) -> count * x as a scalar',
    (b) => b.sum(b.broadcast(b.input('x', [1, 1]), [2, 3])),
    '(6 * reshape(x; shape=))',
  ],
  ['reduceMax(broadcast(x)) -> x', (b) => b.reduceMax(b.broadcast(b.input('x'), [2, 3])), 'x'],
  ['sum(broadcast(c)) folds', (b) => b.sum(b.broadcast(b.scalar(2), [2, 3])), '12'],
]

describe('structuralRules (through simplify)', () => {
  it.each(cases)('%s', (_name, recipe, expected) => {
    const { graph, result } = buildOrThrow(emptyGraph, recipe)
    const r = simplify(graph, [result])
    expect(showOutput(r)).toBe(expected)
    expect(r.graph.nodes[r.outputs[0]!]!.shape).toEqual(graph.nodes[result]!.shape)
  })
})
