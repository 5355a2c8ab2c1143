import { describe, expect, it } from 'vitest'
import { buildOrThrow, type Builder } from '../builder.js'
import { emptyGraph, type NodeId } from '../graph.js'
import { isFiniteValued } from './finite.js'
import { isNonZero, isPositive } from './nonzero.js'

type Case = [string, (b: Builder, x: NodeId, y: NodeId) => NodeId, boolean]

/** The predicate on the node `recipe` builds over scalar inputs x and y. */
const proves = (predicate: typeof isNonZero, recipe: Case[1]): boolean => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => recipe(b, b.input('x'), b.input('y')))
  return predicate(graph, result)
}

describe('isNonZero', () => {
  it.each<Case>([
    ['exp(x)', (b, x) => b.exp(x), true],
    ['x', (_b, x) => x, false],
    ['x - y', (b, x, y) => b.sub(x, y), false],
    ['2 * exp(x)', (b, x) => b.mul(b.scalar(2), b.exp(x)), true],
    ['-exp(x)', (b, x) => b.neg(b.exp(x)), true],
    ['1 / x (nonzero where defined)', (b, x) => b.div(b.scalar(1), x), true],
    ['x / 2', (b, x) => b.div(x, b.scalar(2)), false],
    ['sqrt(exp(x))', (b, x) => b.sqrt(b.exp(x)), true],
    ['sqrt(x)', (b, x) => b.sqrt(x), false],
    ['1 + square(x)', (b, x) => b.add(b.scalar(1), b.square(x)), true],
  ])('%s: %s', (_name, recipe, expected) => {
    expect(proves(isNonZero, recipe)).toBe(expected)
  })
})

describe('isPositive', () => {
  it.each<Case>([
    ['1 + square(x)', (b, x) => b.add(b.scalar(1), b.square(x)), true],
    ['exp(x) + abs(y)', (b, x, y) => b.add(b.exp(x), b.abs(y)), true],
    ['relu(x) + sigmoid(y)', (b, x, y) => b.add(b.relu(x), b.sigmoid(y)), true],
    ['1 + x', (b, x) => b.add(b.scalar(1), x), false],
    ['square(x) + abs(y) (both may be 0)', (b, x, y) => b.add(b.square(x), b.abs(y)), false],
    ['0 + exp(x)', (b, x) => b.add(b.scalar(0), b.exp(x)), true],
    ['-1 + exp(x)', (b, x) => b.add(b.scalar(-1), b.exp(x)), false],
  ])('%s: %s', (_name, recipe, expected) => {
    expect(proves(isPositive, recipe)).toBe(expected)
  })
})

describe('isFiniteValued', () => {
  it.each<Case>([
    ['x (inputs are taken to be finite)', (_b, x) => x, true],
    ['2*x + sin(y)', (b, x, y) => b.add(b.mul(b.scalar(2), x), b.sin(y)), true],
    ['x^3', (b, x) => b.pow(x, b.scalar(3)), true],
    ['x^0.5', (b, x) => b.pow(x, b.scalar(0.5)), false],
    ['x^-1', (b, x) => b.pow(x, b.scalar(-1)), false],
    ['1 / x', (b, x) => b.div(b.scalar(1), x), false],
    ['x / exp(y)', (b, x, y) => b.div(x, b.exp(y)), true],
    ['log(x)', (b, x) => b.log(x), false],
    ['exp(x) (overflows)', (b, x) => b.exp(x), false],
    ['sin(1 / x)', (b, x) => b.sin(b.div(b.scalar(1), x)), false],
    ['Infinity', (b) => b.scalar(Infinity), false],
    ['tanh(x) * relu(y)', (b, x, y) => b.mul(b.tanh(x), b.relu(y)), true],
  ])('%s: %s', (_name, recipe, expected) => {
    expect(proves(isFiniteValued, recipe)).toBe(expected)
  })
})
