import { describe, expect, it } from 'vitest'
import { mixSeed, permutation, randomInt, rng, seed32 } from './random.js'

const take = (next: () => number, n: number) => Array.from({ length: n }, () => next())

describe('rng', () => {
  it('is the mulberry32 generator, so its numbers are fixed for a seed on every platform', () => {
    expect(take(rng(1), 2)).toEqual([0.6270739405881613, 0.002735721180215478])
    expect(take(rng(42), 3)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099])
  })

  it('gives the same sequence for the same seed and a different one for another seed', () => {
    expect(take(rng(123), 100)).toEqual(take(rng(123), 100))
    expect(take(rng(123), 100)).not.toEqual(take(rng(124), 100))
  })

  it('yields numbers in [0, 1) with a mean near 1/2', () => {
    const xs = take(rng(7), 20000)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
  })

  it('keeps the high bits of large seeds and truncates fractions', () => {
    expect(seed32(2 ** 32)).not.toBe(seed32(0))
    expect(seed32(5.9)).toBe(5)
    expect(seed32(Number.NaN)).toBe(0)
    expect(seed32(-1)).not.toBe(seed32(1))
    expect(seed32(2 ** 53 - 1)).not.toBe(seed32(2 ** 32 - 1))
  })
})

describe('randomInt', () => {
  it('stays in [0, n) and reaches every value', () => {
    const next = rng(3)
    const seen = new Set(Array.from({ length: 1000 }, () => randomInt(next, 6)))
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5])
  })
})

describe('permutation', () => {
  it('is a permutation of 0..n-1', () => {
    const p = permutation(1000, 5)
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
  })

  it('is fixed by the seed', () => {
    expect([...permutation(50, 9)]).toEqual([...permutation(50, 9)])
    expect([...permutation(50, 9)]).not.toEqual([...permutation(50, 10)])
  })

  it('handles the empty and one-element cases', () => {
    expect([...permutation(0, 1)]).toEqual([])
    expect([...permutation(1, 1)]).toEqual([0])
  })

  it('moves every element to every position about equally often', () => {
    const n = 4
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0))
    for (let s = 0; s < 4000; s++) permutation(n, s).forEach((v, pos) => counts[v]![pos]!++)
    for (const row of counts) for (const c of row) expect(Math.abs(c - 1000)).toBeLessThan(120)
  })
})

describe('mixSeed', () => {
  it('is deterministic and separates salts', () => {
    expect(mixSeed(42, 1)).toBe(mixSeed(42, 1))
    const seeds = new Set([mixSeed(42, 0), mixSeed(42, 1), mixSeed(42, 2), mixSeed(43, 1), mixSeed(42), mixSeed(42, 1, 0)])
    expect(seeds.size).toBe(6)
  })

  it('returns an unsigned 32-bit integer', () => {
    for (const s of [0, 1, -5, 2 ** 40, 3.5]) {
      const m = mixSeed(s, 7)
      expect(Number.isInteger(m) && m >= 0 && m < 2 ** 32).toBe(true)
    }
  })
})
