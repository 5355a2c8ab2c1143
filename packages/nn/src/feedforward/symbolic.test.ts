import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Activation, Loss, Reduction } from '../spec.js'
import { expectClose } from '../testing/close.js'
import { f64, numbers, run } from '../testing/evaluate.js'
import { feedForwardDeltaRule } from './delta-rule.js'
import { feedForward, feedForwardGradients } from './network.js'
import { feedForwardParams, unitDeltas, unitValues } from './params.js'
import type { FeedForwardSpec, FeedForwardUnit } from './spec.js'

const elementwise: Activation[] = ['linear', 'logsig', 'tanh', 'relu']

interface Case {
  readonly spec: FeedForwardSpec
  readonly reduction: Reduction
  readonly batch: number
  readonly seed: number
}

/**
 * Random DAGs: D inputs, U units of which a random subset are outputs (in a
 * random order; outputs feed nothing), every unit wired to a random subset of
 * the inputs and earlier hidden units (skip connections of any length, and
 * now and then no sources at all), random activations, softmax on all
 * outputs or none, and any loss the outputs allow (the log-losses need
 * outputs in (0, 1)), so unmatched pairs occur as well as matched ones.
 */
const cases: fc.Arbitrary<Case> = fc
  .record({
    inputs: fc.integer({ min: 1, max: 3 }),
    units: fc.integer({ min: 1, max: 8 }),
    seed: fc.nat(),
    softmax: fc.boolean(),
    pick: fc.nat(),
    reduction: fc.constantFrom<Reduction>('sum', 'mean'),
    batch: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ inputs: D, units: U, seed, softmax, pick, reduction, batch }) => {
    const next = numbers(seed)
    const int = (n: number) => Math.floor(next(0, n))
    const isOutput = Array.from({ length: U }, (_, j) => j === U - 1 || next(0, 1) < 0.3)
    const outputs = isOutput.flatMap((o, j) => (o ? [D + 1 + j] : []))
    for (let k = outputs.length - 1; k > 0; k--) {
      const r = int(k + 1)
      ;[outputs[k], outputs[r]] = [outputs[r]!, outputs[k]!]
    }
    const units = Array.from({ length: U }, (_, j): FeedForwardUnit => {
      const candidates = Array.from({ length: D + j }, (_, s) => s + 1).filter((s) => s <= D || !isOutput[s - D - 1])
      const chosen = candidates.filter(() => next(0, 1) < 0.6)
      if (chosen.length === 0 && next(0, 1) < 0.8) chosen.push(candidates[int(candidates.length)]!)
      const activation = isOutput[j] && softmax && outputs.length >= 2 ? 'softmax' : elementwise[int(4)]!
      return { activation, in: chosen.map((s) => [s, next(-1.5, 1.5) / Math.sqrt(chosen.length)] as const), bias: next(-0.5, 0.5) }
    })
    const outActs = outputs.map((o) => units[o - D - 1]!.activation)
    const probabilities = outActs.every((h) => h === 'logsig' || h === 'softmax')
    const losses: Loss[] = probabilities ? ['sse', 'cross-entropy', 'softmax-cross-entropy'] : ['sse']
    return { spec: { inputs: D, units, outputs, loss: losses[pick % losses.length]! }, reduction, batch, seed }
  })

/** Inputs and targets that suit the loss. */
const dataFor = ({ spec, batch, seed }: Case) => {
  const next = numbers(seed + 1)
  const K = spec.outputs.length
  const x = { shape: [batch, spec.inputs], data: Array.from({ length: batch * spec.inputs }, () => next(-2, 2)) }
  const softmax = spec.units[spec.outputs[0]! - spec.inputs - 1]!.activation === 'softmax'
  const rows = Array.from({ length: batch }, () => {
    if (spec.loss === 'sse') return Array.from({ length: K }, () => next(-2, 2))
    if (spec.loss === 'softmax-cross-entropy' && softmax) {
      const raw = Array.from({ length: K }, () => next(0.1, 1))
      const total = raw.reduce((s, r) => s + r, 0)
      return raw.map((r) => r / total)
    }
    return Array.from({ length: K }, () => next(0, 1))
  })
  return { x, t: { shape: [batch, K], data: rows.flat() } }
}

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

describe('symbolic gradients of general networks agree with the general delta rule', () => {
  it('on random DAGs, activations, losses and reductions (f64, to 1e-9)', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { spec, reduction, batch } = c
        const net = right(feedForward({ ...spec, batch, reduction }))
        const derived = right(feedForwardGradients(net))
        const { x, t } = dataFor(c)
        const params = right(feedForwardParams(spec, { seed: 0 }))
        const feeds = { x: f64(x), t: f64(t), ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, f64(v)])) }
        const names = net.paramNames
        const [loss, y, ...rest] = run(derived.graph, [net.loss, net.outputs, ...names.map((n) => derived.gradients[n]!), ...derived.deltas], feeds)
        const r = right(feedForwardDeltaRule({ spec, x, t, reduction }))
        const what = `${JSON.stringify(c)}:`
        expectClose(loss!.data, [r.loss], `${what} loss`)
        expectClose(y!.data, r.outputs.flat(), `${what} outputs`)
        expectClose(unitDeltas(spec, rest.slice(names.length)).flat(), r.deltas.flat(), `${what} deltas`)
        const grads = unitValues(spec, Object.fromEntries(names.map((n, k) => [n, rest[k]!])))
        r.gradients.forEach((g, j) => {
          expectClose(grads[j]!.in, g.in, `${what} dE/dw of units[${j}]`)
          expectClose([grads[j]!.bias], [g.bias], `${what} dE/db of units[${j}]`)
        })
      }),
      { seed: 20231023, numRuns: 300 },
    )
  }, 120_000)

  it('covers every activation, skip connections, several output groups and unmatched pairs', () => {
    const sample = fc.sample(cases, { seed: 20231023, numRuns: 300 })
    const acts = new Set(sample.flatMap((c) => c.spec.units.map((u) => u.activation)))
    expect(acts).toEqual(new Set(['linear', 'logsig', 'tanh', 'relu', 'softmax']))
    const pairs = new Set(
      sample.flatMap((c) => c.spec.outputs.map((o) => `${c.spec.units[o - c.spec.inputs - 1]!.activation}+${c.spec.loss}`)),
    )
    for (const p of ['linear+sse', 'logsig+cross-entropy', 'softmax+softmax-cross-entropy', 'relu+sse', 'softmax+sse', 'softmax+cross-entropy', 'logsig+softmax-cross-entropy']) {
      expect(pairs).toContain(p)
    }
    // a skip connection: a unit fed by an input and by a hidden unit that input also feeds
    const skips = sample.filter((c) =>
      c.spec.units.some((u) => {
        const sources = u.in.map((e) => (typeof e === 'number' ? e : e[0]))
        return sources.some((s) => s <= c.spec.inputs) && sources.some((s) => s > c.spec.inputs)
      }),
    )
    expect(skips.length).toBeGreaterThan(50)
    // outputs of different activations (several output groups placed into y), and outputs out of unit order
    expect(sample.some((c) => new Set(c.spec.outputs.map((o) => c.spec.units[o - c.spec.inputs - 1]!.activation)).size > 1)).toBe(true)
    expect(sample.some((c) => c.spec.outputs.some((o, k) => k > 0 && o < c.spec.outputs[k - 1]!))).toBe(true)
  })
})
