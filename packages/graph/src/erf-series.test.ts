import { describe, expect, it } from 'vitest'
import { erfSeriesCoefficients } from './erf-series.js'

describe('erfSeriesCoefficients', () => {
  it('gives (-1)^k / (k! (2k + 1)), term by term', () => {
    expect(erfSeriesCoefficients(5)).toEqual([1, -1 / 3, 1 / 10, -1 / 42, 1 / 216])
    expect(erfSeriesCoefficients(0)).toEqual([])
  })

  it('sums to erf where the series converges: 2/sqrt(pi) x (c0 + c1 x^2 + ...)', () => {
    // erf(0.5) and erf(1) to 16 digits, from published tables.
    const series = (x: number, n: number) => (2 / Math.sqrt(Math.PI)) * x * erfSeriesCoefficients(n).reduceRight((p, c) => c + x * x * p, 0)
    expect(series(0.5, 25)).toBeCloseTo(0.5204998778130465, 15)
    expect(series(1, 25)).toBeCloseTo(0.8427007929497149, 15)
  })

  it('is a prefix of a longer series: each backend takes the terms its range needs', () => {
    expect(erfSeriesCoefficients(72).slice(0, 25)).toEqual(erfSeriesCoefficients(25))
  })
})
