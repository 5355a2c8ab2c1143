import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { ops } from './ops.js'
import { parse } from './parse.js'
import { toLatex } from './print-latex.js'
import { toText } from './print-text.js'

/**
 * erf another way than the op table: the series
 * `2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1))`, whose terms
 * are all positive, summed until they stop counting.
 */
const seriesErf = (x: number): number => {
  let term = x
  let sum = 0
  for (let n = 0; sum + term !== sum; n++) {
    sum += term
    term *= (2 * x * x) / (2 * n + 3)
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum
}

const erf = ops.erf.fn!

describe('erf', () => {
  it('matches published values to a few ulps', () => {
    // Abramowitz and Stegun, table 7.1, and erfc values to 20 digits.
    const known: readonly (readonly [number, number])[] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [3, 1 - 2.209049699858544e-5],
      [4, 1 - 1.541725790028002e-8],
    ]
    for (const [x, y] of known) {
      expect(Math.abs(erf(x) - y), `erf(${x})`).toBeLessThanOrEqual(4e-16)
      expect(erf(-x)).toBe(-erf(x))
    }
  })

  it('agrees with a positive-term series on both sides of the switch at 1.5', () => {
    for (let x = -5.9; x <= 5.9; x += 0.0137) {
      expect(Math.abs(erf(x) - seriesErf(x)), `erf(${x})`).toBeLessThanOrEqual(2e-15 * Math.abs(seriesErf(x)))
    }
  })

  it('keeps the sign of zero, tends to ±1 and passes NaN through', () => {
    expect(Object.is(erf(-0), -0)).toBe(true)
    expect(erf(1e-300)).toBe((2 / Math.sqrt(Math.PI)) * 1e-300)
    expect([erf(6), erf(-7), erf(Infinity), erf(-Infinity)]).toEqual([1, -1, 1, -1])
    expect(erf(NaN)).toBeNaN()
  })

  it('is a function of the contract text language, printed as a call', () => {
    const parsed = parse('erf(x/2)')
    if (E.isLeft(parsed)) throw new Error(parsed.left.message)
    expect(toText(parsed.right.graph, parsed.right.output)).toBe('erf(x/2)')
    expect(toLatex(parsed.right.graph, parsed.right.output)).toBe('\\operatorname{erf}\\left(\\frac{x}{2}\\right)')
  })
})
