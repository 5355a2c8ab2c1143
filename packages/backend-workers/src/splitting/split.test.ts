import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { shardSizes, shardStarts } from './split.js'

describe('shardSizes', () => {
  it('splits into contiguous shards differing by at most one, larger first', () => {
    expect(shardSizes(10, 4)).toEqual([3, 3, 2, 2])
    expect(shardSizes(512, 2)).toEqual([256, 256])
    expect(shardSizes(7, 3)).toEqual([3, 2, 2])
  })

  it('gives one shard per sample to a batch smaller than the number of workers', () => {
    expect(shardSizes(3, 8)).toEqual([1, 1, 1])
  })

  it('does not split one sample, no samples, or for one worker', () => {
    expect(shardSizes(1, 4)).toEqual([1])
    expect(shardSizes(0, 4)).toEqual([0])
    expect(shardSizes(9, 1)).toEqual([9])
  })

  it('covers every sample exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 64 }), (samples, workers) => {
        const sizes = shardSizes(samples, workers)
        const starts = shardStarts(sizes)
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(samples)
        expect(sizes.length).toBe(Math.max(1, Math.min(samples, workers)))
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
        sizes.forEach((size, k) => expect(starts[k]! + size).toBe(starts[k + 1] ?? samples))
      }),
      { seed: 17 },
    )
  })
})
