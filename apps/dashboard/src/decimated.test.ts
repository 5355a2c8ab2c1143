import fc from 'fast-check'
import { decimated } from './decimated.js'

describe('decimated', () => {
  it('keeps everything while it has room', () => {
    const d = decimated<number>(5)
    for (let i = 0; i < 5; i++) d.add(i)
    expect(d.items()).toEqual([0, 1, 2, 3, 4])
    expect(d.stride()).toBe(1)
  })

  it('halves its resolution when it overflows, and always ends with the latest item', () => {
    const d = decimated<number>(4)
    for (let i = 0; i < 10; i++) d.add(i)
    expect(d.items()).toEqual([0, 4, 8, 9])
    expect(d.stride()).toBe(4)
  })

  it('refuses a capacity below 2', () => {
    expect(() => decimated(1)).toThrow(RangeError)
  })

  it('holds an even sample of everything added, in bounded memory', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 2000 }), (capacity, count) => {
        const d = decimated<number>(capacity)
        for (let i = 0; i < count; i++) d.add(i)
        const items = d.items()
        const stride = d.stride()
        const sampled = items[items.length - 1] === count - 1 && (count - 1) % stride !== 0 ? items.slice(0, -1) : items
        expect(items.length).toBeLessThanOrEqual(capacity + 1)
        expect(items[0]).toBe(0)
        expect(items[items.length - 1]).toBe(count - 1)
        // Every multiple of the stride that was added is kept, and nothing else but the latest.
        expect(sampled).toEqual(Array.from({ length: Math.ceil(count / stride) }, (_, i) => i * stride))
        // The sample is as fine as the capacity allows: a finer stride would not fit.
        if (stride > 1) expect(Math.ceil(count / (stride / 2))).toBeGreaterThan(capacity)
      }),
    )
  })
})
