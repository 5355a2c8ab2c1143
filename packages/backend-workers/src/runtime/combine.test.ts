import { describe, expect, it } from 'vitest'
import { combine, concatShards, sumShards } from './combine.js'

describe('combining shard outputs', () => {
  it('adds partial sums in shard order, rounding f32 after every addition', () => {
    // In float32, 1e8 + 1 rounds back to 1e8, so (1e8 + 1) - 1e8 is 0, while 1e8 + (1 - 1e8) would be 1.
    const parts = [Float32Array.of(1e8, 1), Float32Array.of(1, 2), Float32Array.of(-1e8, 3)]
    const sum = sumShards(parts)
    expect(sum).toBe(parts[0])
    expect(Array.from(sum)).toEqual([Math.fround(Math.fround(1e8 + 1) - 1e8), 6])
    expect(Array.from(sum)).toEqual([0, 6])
  })

  it('concatenates along axis 0 and along an inner axis, with uneven shards', () => {
    // Full [2,3,2] along axis 1, split into 2 + 1 rows.
    const a = Float64Array.of(1, 2, 3, 4, /* second outer block */ 7, 8, 9, 10)
    const b = Float64Array.of(5, 6, /* second outer block */ 11, 12)
    expect(Array.from(concatShards({ shape: [2, 3, 2], dtype: 'f64' }, 1, [a, b], [2, 1]))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ])
    expect(Array.from(concatShards({ shape: [3], dtype: 'f64' }, 0, [Float64Array.of(1), Float64Array.of(2, 3)], [1, 2]))).toEqual([1, 2, 3])
  })

  it("takes shard 0's value of a batch-independent output as it is", () => {
    const first = Float64Array.of(4, 5)
    expect(combine({ kind: 'first' }, { shape: [2], dtype: 'f64' }, [first], [3, 3])).toBe(first)
  })
})
