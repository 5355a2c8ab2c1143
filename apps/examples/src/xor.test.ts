import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { type XorResult, xor } from './xor.js'

const logsig = (a: number) => 1 / (1 + Math.exp(-a))

/** The 2-2-1 network's output, by hand: y = sigma(W2 sigma(W1 x + b1) + b2), W1 row i = weights into unit i. */
const forward = (r: XorResult, x1: number, x2: number): number => {
  const W1 = r.params['W1']!.data
  const b1 = r.params['b1']!.data
  const W2 = r.params['W2']!.data
  const b2 = r.params['b2']!.data
  const z = [0, 1].map((i) => logsig(W1[2 * i]! * x1 + W1[2 * i + 1]! * x2 + b1[i]!))
  return logsig(W2[0]! * z[0]! + W2[1]! * z[1]! + b2[0]!)
}

describe('XOR with a 2-2-1 logsig network', () => {
  let r: XorResult
  beforeAll(async () => {
    const result = await xor()
    if (E.isLeft(result)) throw new Error(result.left.message)
    r = result.right
  })

  it('computes the XOR truth table', () => {
    expect(r.inputs).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]])
    expect(r.targets).toEqual([0, 1, 1, 0])
    expect(r.correct).toBe(4)
    for (const [i, [x1, x2]] of r.inputs.entries()) {
      const y = forward(r, x1, x2)
      expect(r.outputs[i]).toBeCloseTo(y, 12) // the example's outputs are the network's
      expect(y > 0.5).toBe(x1 !== x2) // the truth table, written out
      expect(Math.abs(y - (x1 !== x2 ? 1 : 0))).toBeLessThan(0.05)
    }
  })

  it('has a loss curve, one value per batch-GD step, that falls to a small fraction of its start', () => {
    expect(r.curve).toHaveLength(1000)
    expect(r.curve[r.curve.length - 1]!).toBeLessThan(0.01 * r.curve[0]!)
    // The last reported loss (before the last step) is the cross-entropy of the outputs nearly at the end.
    const ce = r.inputs.reduce((s, [x1, x2], i) => {
      const y = forward(r, x1, x2)
      const t = r.targets[i]!
      return s - (t * Math.log(y) + (1 - t) * Math.log(1 - y))
    }, 0)
    expect(ce).toBeLessThanOrEqual(r.curve[r.curve.length - 1]!)
    expect(ce).toBeGreaterThan(0.9 * r.curve[r.curve.length - 1]!)
  })

  it('can get stuck in a local minimum from another start, as its options say', async () => {
    const stuck = await xor({ seed: 2 })
    if (E.isLeft(stuck)) throw new Error(stuck.left.message)
    expect(stuck.right.correct).toBeLessThan(4)
  })
})
