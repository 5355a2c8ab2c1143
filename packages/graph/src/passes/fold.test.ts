import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../builder.js'
import { emptyGraph, type NodeId } from '../graph.js'
import { foldConstants, maxFoldSize } from './fold.js'
import { showOutput } from './testing/helpers.js'

const folded = (recipe: (b: Builder) => NodeId) => {
  const { graph, result } = buildOrThrow(emptyGraph, recipe)
  return foldConstants(graph, [result])
}

const matrix = (b: Builder) => b.constant([1, 2, 3, 4, 5, 6], [2, 3])

describe('foldConstants', () => {
  it.each<[string, (b: Builder) => NodeId, string]>([
    ['a chain of scalar ops', (b) => b.neg(b.add(b.exp(b.scalar(0)), b.scalar(1))), '-2'],
    ['a comparison', (b) => b.greater(b.scalar(3), b.scalar(2)), '1'],
    ['where', (b) => b.where(b.scalar(0), b.scalar(1), b.scalar(5)), '5'],
    [
      'broadcasting elementwise ops',
      (b) => b.add(b.constant([1, 2, 3], [3]), b.constant([10, 20], [2, 1])),
      '[11,12,13,21,22,23]:[2,3]',
    ],
    ['a uniform result as one value', (b) => b.mul(b.constant([1, 2], [2]), b.scalar(0)), '0:[2]'],
    ['a splat operand without expanding it', (b) => b.mul(b.scalar(3, 'f64', [4]), b.scalar(2)), '6:[4]'],
    ['reshape', (b) => b.reshape(matrix(b), [3, 2]), '[1,2,3,4,5,6]:[3,2]'],
    ['transpose', (b) => b.transpose(matrix(b)), '[1,4,2,5,3,6]:[3,2]'],
    ['broadcast', (b) => b.broadcast(b.constant([1, 2], [2, 1]), [2, 3]), '[1,1,1,2,2,2]:[2,3]'],
    ['sum over an axis', (b) => b.sum(matrix(b), [0]), '[5,7,9]:[3]'],
    ['sum with kept axes', (b) => b.sum(matrix(b), [1], true), '[6,15]:[2,1]'],
    ['sum of everything', (b) => b.sum(matrix(b)), '21'],
    ['sum of a splat', (b) => b.sum(b.scalar(2, 'f64', [2, 3]), [1]), '6:[2]'],
    ['reduceMax', (b) => b.reduceMax(matrix(b), [1]), '[3,6]:[2]'],
    ['matmul', (b) => b.matmul(b.constant([1, 2, 3, 4], [2, 2]), b.constant([5, 6], [2, 1])), '[17,39]:[2,1]'],
    ['matmul of splats', (b) => b.matmul(b.scalar(2, 'f64', [2, 3]), b.scalar(5, 'f64', [3, 4])), '30:[2,4]'],
    ['softmax of equal elements', (b) => b.softmax(b.scalar(7, 'f64', [4])), '0.25:[4]'],
    ['logSumExp of equal elements', (b) => b.logSumExp(b.scalar(0, 'f64', [2, 1]), 0), `${Math.log(2)}:[1]`],
    ['the constant parts of a mixed expression', (b) => b.mul(b.input('x'), b.exp(b.scalar(0))), '(x * 1)'],
  ])('folds %s', (_name, recipe, expected) => {
    expect(showOutput(folded(recipe))).toBe(expected)
  })

  it.each<[string, (b: Builder) => NodeId, string]>([
    ['stopGradient', (b) => b.stopGradient(b.scalar(2)), 'stopGradient(2)'],
    ['ops of non-constants', (b) => b.add(b.input('x'), b.scalar(1)), '(x + 1)'],
    ['softmax of unequal elements', (b) => b.softmax(b.constant([1, 2], [2])), 'softmax([1,2]:[2]; axis=0)'],
  ])('keeps %s', (_name, recipe, expected) => {
    expect(showOutput(folded(recipe))).toBe(expected)
  })

  it('rounds f32 results to f32', () => {
    const r = folded((b) => b.add(b.scalar(0.1, 'f32'), b.scalar(0.2, 'f32')))
    const out = r.graph.nodes[r.outputs[0]!]!
    expect(out.dtype).toBe('f32')
    expect(out.attrs.value).toBe(Math.fround(0.1 + 0.2))
    expect(out.attrs.value).not.toBe(0.1 + 0.2)
  })

  it('keeps shape and dtype of every folded node', () => {
    const r = folded((b) => b.sub(b.scalar(1, 'f32', [2, 3]), b.constant([1, 2, 3], [3], 'f32')))
    const out = r.graph.nodes[r.outputs[0]!]!
    expect(out.shape).toEqual([2, 3])
    expect(out.dtype).toBe('f32')
    expect(out.attrs.values).toEqual([0, -1, -2, 0, -1, -2])
  })

  it('leaves tensors larger than maxFoldSize to the backend', () => {
    const n = maxFoldSize + 1
    const r = folded((b) => b.neg(b.constant(Array.from({ length: n }, (_, i) => i), [n])))
    expect(r.graph.nodes[r.outputs[0]!]!.op).toBe('neg')
  })

  it('prunes the constants it folded away', () => {
    const r = folded((b) => b.add(b.exp(b.scalar(0)), b.scalar(1)))
    expect(r.graph.nodes.length).toBe(1)
  })
})
