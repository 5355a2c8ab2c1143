import { describe, expect, it } from 'vitest'
import { ratio, renderSection, type Section } from './report.js'

const section = (higherIsBetter: boolean): Section => ({
  title: 'test',
  unit: 'u',
  higherIsBetter,
  ours: ['ours'],
  peers: ['peer', 'missing'],
  rows: [{ label: 'row', figures: { ours: 30, peer: 10, missing: null } }],
})

describe('report', () => {
  it('states ratios as how many times better this library is', () => {
    expect(ratio(section(true), section(true).rows[0]!, 'peer')).toBe(3)
    expect(ratio(section(false), section(false).rows[0]!, 'peer')).toBeCloseTo(1 / 3, 12)
    expect(ratio(section(true), section(true).rows[0]!, 'missing')).toBeNull()
  })

  it('prints each peer with its ratio and n/a where a system could not run', () => {
    const text = renderSection(section(true))
    expect(text).toContain('10.0 (3.00x)')
    expect(text).toContain('n/a')
  })
})
