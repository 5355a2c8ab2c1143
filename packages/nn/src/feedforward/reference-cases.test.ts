import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { expectClose } from '../testing/close.js'
import { f64, run } from '../testing/evaluate.js'
import { feedForwardCases, type FeedForwardCase, matrixOf } from '../testing/reference.js'
import { feedForwardDeltaRule } from './delta-rule.js'
import { feedForward, feedForwardGradients } from './network.js'
import { feedForwardParams, unitDeltas, unitValues } from './params.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** Every figure of a case, as the README lays them out. */
interface Figures {
  readonly loss: number
  readonly outputs: readonly (readonly number[])[]
  readonly deltas: readonly (readonly number[])[]
  readonly gradients: readonly { readonly in: readonly number[]; readonly bias: number }[]
}

/** Build, differentiate symbolically, feed by name, evaluate on the CPU reference interpreter. */
const symbolic = (c: FeedForwardCase): Figures => {
  const net = right(feedForward({ ...c, batch: c.x.length }))
  const derived = right(feedForwardGradients(net))
  const params = right(feedForwardParams(c, { seed: 0 }))
  const feeds = { x: f64(matrixOf(c.x)), t: f64(matrixOf(c.t)), ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, f64(v)])) }
  const names = net.paramNames
  const wanted = [net.loss, net.outputs, ...names.map((n) => derived.gradients[n]!), ...derived.deltas]
  const [loss, y, ...rest] = run(derived.graph, wanted, feeds)
  const K = c.outputs.length
  return {
    loss: loss!.data[0]!,
    outputs: Array.from({ length: c.x.length }, (_, m) => Array.from(y!.data.subarray(m * K, (m + 1) * K))),
    gradients: unitValues(c, Object.fromEntries(names.map((n, k) => [n, rest[k]!]))),
    deltas: unitDeltas(c, rest.slice(names.length)),
  }
}

const expectFigures = (actual: Figures, expected: Figures): void => {
  expectClose([actual.loss], [expected.loss], 'loss')
  expectClose(actual.outputs.flat(), expected.outputs.flat(), 'outputs')
  expectClose(actual.deltas.flat(), expected.deltas.flat(), 'deltas')
  expected.gradients.forEach((g, j) => {
    expectClose(actual.gradients[j]!.in, g.in, `dE/dw of units[${j}]`)
    expectClose([actual.gradients[j]!.bias], [g.bias], `dE/db of units[${j}]`)
  })
}

describe('feedforward-networks reference cases', () => {
  it('finds cases', () => {
    expect(feedForwardCases.length).toBeGreaterThan(0)
  })

  it.each(feedForwardCases.map((c) => [c.id, c] as const))('%s: through the graph', (_, c) => {
    expectFigures(symbolic(c), c.expected)
  })

  it.each(feedForwardCases.map((c) => [c.id, c] as const))('%s: by the delta rule', (_, c) => {
    expectFigures(right(feedForwardDeltaRule({ spec: c, x: matrixOf(c.x), t: matrixOf(c.t) })), c.expected)
  })
})
