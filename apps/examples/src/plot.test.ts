import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatNumber, lineChart, resample, sparkline } from './plot.js'

describe('resample', () => {
  it('averages consecutive buckets', () => {
    expect(resample([1, 2, 3, 4], 2)).toEqual([1.5, 3.5])
    expect(resample([1, 2, 3, 4, 5, 6], 3)).toEqual([1.5, 3.5, 5.5])
  })

  it('keeps short curves as they are', () => {
    expect(resample([3, 1, 2], 10)).toEqual([3, 1, 2])
  })

  it('gives min(n, width) points, within the range of the values, keeping the mean when buckets are equal', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 80 }),
        (values, width) => {
          const out = resample(values, width)
          expect(out).toHaveLength(Math.min(values.length, width))
          const lo = Math.min(...values)
          const hi = Math.max(...values)
          for (const v of out) {
            expect(v).toBeGreaterThanOrEqual(lo - 1e-9 * Math.abs(lo))
            expect(v).toBeLessThanOrEqual(hi + 1e-9 * Math.abs(hi))
          }
          if (values.length % out.length === 0) {
            const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
            expect(mean(out)).toBeCloseTo(mean(values), 3)
          }
        },
      ),
    )
  })
})

describe('sparkline', () => {
  it('maps the lowest value to the lowest block and the highest to the full block', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█')
    expect(sparkline([8, 1])).toBe('█▁')
  })

  it('draws a flat curve at mid height and nothing for no values', () => {
    expect(sparkline([2, 2, 2])).toBe('▄▄▄')
    expect(sparkline([])).toBe('')
  })

  it('fits a long curve into the width', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 - i)
    const line = sparkline(values, 40)
    expect([...line]).toHaveLength(40)
    expect(line.startsWith('█')).toBe(true)
    expect(line.endsWith('▁')).toBe(true)
  })
})

describe('formatNumber', () => {
  it('shows about four significant digits, switching to exponents at the extremes', () => {
    expect(formatNumber(57.67123)).toBe('57.67')
    expect(formatNumber(0.0412345)).toBe('0.04123')
    expect(formatNumber(0.00012)).toBe('1.20e-4')
    expect(formatNumber(123456)).toBe('1.23e+5')
    expect(formatNumber(0)).toBe('0')
  })
})

describe('lineChart', () => {
  /** The plot rows of a chart (without the axis and labels below it), top first. */
  const plotRows = (lines: string[], height: number) => lines.slice(0, height).map((l) => l.slice(l.search(/[+|]/) + 1))

  it('has one row per height step plus the axis, the x labels and the caption', () => {
    const lines = lineChart([5, 4, 3, 2, 1], { height: 6, xLabel: 'epoch' })
    expect(lines).toHaveLength(6 + 3)
    expect(lines[6]).toMatch(/\+-----$/)
    expect(lines[7]!.trim()).toMatch(/^1\s+5$/)
    expect(lines[8]!.trim()).toBe('epoch')
  })

  it('puts the largest value in the top row and the smallest in the bottom row, one column per value', () => {
    const lines = lineChart([1, 9, 5], { height: 5 })
    const rows = plotRows(lines, 5)
    expect(rows[0]).toBe(' *') // 9, second column
    expect(rows[4]).toBe('*') // 1, first column
    expect(rows[2]).toBe(' |*') // 5 in the middle, the rise from 1 to 9 drawn as a bar
    expect(lines[0]).toMatch(/^9 \+/)
    expect(lines[4]).toMatch(/^1 \+/)
  })

  it('labels a log axis with the values, not their logarithms, and places a decade in the middle', () => {
    const lines = lineChart([100, 10, 1], { height: 3, log: true })
    expect(lines[0]).toMatch(/^100 \+\*/)
    expect(lines[1]).toMatch(/^ 10 \+ \*/)
    expect(lines[2]).toMatch(/^  1 \+  \*/)
    expect(lines[lines.length - 1]).toContain('log scale')
  })

  it('draws a flat curve in the middle row', () => {
    const rows = plotRows(lineChart([3, 3, 3], { height: 5 }), 5)
    expect(rows).toEqual(['', '', '***', '', ''])
  })

  it('draws values at or below zero on a log axis at the bottom', () => {
    const rows = plotRows(lineChart([10, 1, 0], { height: 2, log: true }), 2)
    expect(rows).toEqual(['*', ' **'])
  })
})
