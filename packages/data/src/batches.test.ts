import { describe, expect, it } from 'vitest'
import { type Batch, batchCount, batches, epochOrder } from './batches.js'
import type { Dataset } from './dataset.js'

/** Sample i has inputs [i, -i] and target 2 i, so rows can be traced. */
const ramp = (n: number): Dataset => ({
  name: 'ramp',
  size: n,
  features: 2,
  targets: 1,
  x: Float64Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? k / 2 : -(k - 1) / 2)),
  t: Float64Array.from({ length: n }, (_, i) => 2 * i),
})

const order = (bs: Iterable<Batch>) => [...bs].flatMap((b) => [...b.indices])

describe('batches', () => {
  it('covers every sample exactly once per epoch, last batch smaller', () => {
    const ds = ramp(103)
    const all = [...batches(ds, 10, { seed: 1, epoch: 1 })]
    expect(all.map((b) => b.size)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3])
    expect(all.map((b) => b.index)).toEqual(Array.from({ length: 11 }, (_, i) => i))
    const seen = all.flatMap((b) => Array.from({ length: b.size }, (_, r) => b.x[r * 2]!))
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i))
  })

  it('copies inputs and targets of the same samples together', () => {
    for (const b of batches(ramp(37), 8, { seed: 3 })) {
      expect(b.x.length).toBe(b.size * 2)
      expect(b.t.length).toBe(b.size)
      for (let r = 0; r < b.size; r++) {
        const i = b.indices[r]!
        expect([b.x[2 * r], b.x[2 * r + 1], b.t[r]]).toEqual([i, -i, 2 * i])
      }
    }
  })

  it('with reuse, refills one pair of arrays with the same rows as fresh batches', () => {
    const ds = ramp(37)
    const fresh = [...batches(ds, 8, { seed: 3, epoch: 2 })]
    const buffers = new Set<ArrayBufferLike>()
    let k = 0
    for (const b of batches(ds, 8, { seed: 3, epoch: 2, reuse: true })) {
      const expected = fresh[k++]!
      expect(b.size).toBe(expected.size)
      expect(Array.from(b.indices)).toEqual(Array.from(expected.indices))
      expect(Array.from(b.x)).toEqual(Array.from(expected.x))
      expect(Array.from(b.t)).toEqual(Array.from(expected.t))
      buffers.add(b.x.buffer).add(b.t.buffer)
    }
    expect(k).toBe(fresh.length)
    // One array for the inputs and one for the targets, the short last batch a view of them.
    expect(buffers.size).toBe(2)
  })

  it('with reuse and shared, refills one pair of arrays in shared memory with the same rows', () => {
    const ds = ramp(37)
    for (const dtype of ['f64', 'f32'] as const) {
      const plain = Array.from(batches(ds, 8, { seed: 3, epoch: 2, dtype }), (b) => ({ x: Array.from(b.x), t: Array.from(b.t) }))
      let k = 0
      for (const b of batches(ds, 8, { seed: 3, epoch: 2, reuse: true, shared: true, dtype })) {
        expect(b.x.buffer).toBeInstanceOf(SharedArrayBuffer)
        expect(b.t.buffer).toBeInstanceOf(SharedArrayBuffer)
        expect(b.x).toBeInstanceOf(dtype === 'f32' ? Float32Array : Float64Array)
        expect({ x: Array.from(b.x), t: Array.from(b.t) }).toEqual(plain[k++])
      }
      expect(k).toBe(plain.length)
    }
  })

  it('with dtype f32, yields the same rows rounded to float32, fresh or reused', () => {
    const ds = { ...ramp(29), x: Float64Array.from({ length: 58 }, (_, k) => Math.PI * (k - 20) / 7) }
    for (const reuse of [false, true]) {
      const wide = [...batches(ds, 8, { seed: 5, epoch: 1 })].map((b) => ({ x: Array.from(b.x), t: Array.from(b.t) }))
      let k = 0
      for (const b of batches(ds, 8, { seed: 5, epoch: 1, dtype: 'f32', reuse })) {
        expect(b.x).toBeInstanceOf(Float32Array)
        expect(Array.from(b.x)).toEqual(Array.from(Float32Array.from(wide[k]!.x)))
        expect(Array.from(b.t)).toEqual(Array.from(Float32Array.from(wide[k]!.t)))
        k++
      }
      expect(k).toBe(wide.length)
    }
  })

  it('is reproducible for a (seed, epoch) and differs across epochs and seeds', () => {
    const ds = ramp(64)
    const e1 = order(batches(ds, 16, { seed: 9, epoch: 1 }))
    expect(order(batches(ds, 16, { seed: 9, epoch: 1 }))).toEqual(e1)
    expect(order(batches(ds, 16, { seed: 9, epoch: 2 }))).not.toEqual(e1)
    expect(order(batches(ds, 16, { seed: 10, epoch: 1 }))).not.toEqual(e1)
    expect(order(batches(ds, 7, { seed: 9, epoch: 1 }))).toEqual(e1) // the order does not depend on the batch size
  })

  it('yields the same batches each time it is iterated', () => {
    const bs = batches(ramp(20), 6, { seed: 2, epoch: 5 })
    expect(order(bs)).toEqual(order(bs))
  })

  it('keeps the data set order without a seed', () => {
    expect(order(batches(ramp(5), 2))).toEqual([0, 1, 2, 3, 4])
  })

  it('gives one full batch for a batch size of Infinity or larger than the data', () => {
    expect([...batches(ramp(5), Infinity)].map((b) => b.size)).toEqual([5])
    expect([...batches(ramp(5), 100, { seed: 1 })].map((b) => b.size)).toEqual([5])
    expect([...batches(ramp(0), 4)]).toEqual([])
  })

  it('drops a short last batch on request', () => {
    expect([...batches(ramp(10), 4, { dropLast: true })].map((b) => b.size)).toEqual([4, 4])
    expect(batchCount(10, 4, true)).toBe(2)
    expect(batchCount(10, 4)).toBe(3)
  })

  it('never writes into the data set', () => {
    const ds = ramp(10)
    const x = ds.x.slice()
    for (const b of batches(ds, 3, { seed: 1 })) b.x.fill(-99)
    expect(ds.x).toEqual(x)
  })

  it('rejects batch sizes that are not positive integers', () => {
    expect(() => batches(ramp(4), 0)).toThrow(RangeError)
    expect(() => batches(ramp(4), 2.5)).toThrow(RangeError)
    expect(() => batches(ramp(4), Number.NaN)).toThrow(RangeError)
  })
})

describe('epochOrder', () => {
  it('is the identity without a seed and a permutation with one', () => {
    expect([...epochOrder(4, undefined)]).toEqual([0, 1, 2, 3])
    const p = [...epochOrder(100, 1, 3)]
    expect(p.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i))
  })
})
