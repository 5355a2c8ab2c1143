import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import {
  type Dataset,
  labels,
  oneHot,
  sampleAt,
  shuffled,
  slice,
  splitDataset,
  subset,
  testCount,
  validate,
} from './dataset.js'

/** Sample i has features [i, 10 i] and one-hot class i % 3. */
const toy = (n: number): Dataset => ({
  name: 'toy',
  size: n,
  features: 2,
  targets: 3,
  x: Float64Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? k / 2 : 10 * ((k - 1) / 2))),
  t: oneHot(Array.from({ length: n }, (_, i) => i % 3), 3),
  classes: ['a', 'b', 'c'],
  featureNames: ['i', 'ten_i'],
})

const ids = (ds: Dataset) => Array.from({ length: ds.size }, (_, i) => ds.x[i * ds.features]!)

const errorOf = <A>(e: E.Either<{ message: string }, A>): string => {
  if (E.isRight(e)) throw new Error('expected a Left')
  return e.left.message
}

describe('validate', () => {
  it('accepts a well-formed data set and returns it', () => {
    const ds = toy(5)
    expect(validate(ds)).toEqual(E.right(ds))
  })

  it('reports a NaN input by sample and named feature', () => {
    const ds = toy(5)
    const x = ds.x.slice()
    x[3 * 2 + 1] = Number.NaN
    const r = validate({ ...ds, x })
    expect(errorOf(r)).toBe('toy: sample 3, feature 1 ("ten_i") is NaN')
    expect(E.isLeft(r) && r.left.sample).toBe(3)
  })

  it('reports infinities in inputs and targets', () => {
    const ds = toy(4)
    const x = ds.x.slice()
    x[0] = -Infinity
    expect(errorOf(validate({ ...ds, x }))).toBe('toy: sample 0, feature 0 ("i") is -Infinity')
    const t = ds.t.slice()
    t[2 * 3 + 2] = Infinity
    expect(errorOf(validate({ ...ds, t }))).toBe('toy: sample 2, target 2 ("c") is Infinity')
    const plain: Dataset = { name: 'r', size: 1, features: 1, targets: 1, x: Float64Array.of(1), t: Float64Array.of(NaN) }
    expect(errorOf(validate(plain))).toBe('r: sample 0, target 0 is NaN')
  })

  it('reports shape mismatches', () => {
    const ds = toy(3)
    expect(errorOf(validate({ ...ds, size: 4 }))).toMatch(/x holds 6 numbers, expected size \* features = 4 \* 2 = 8/)
    expect(errorOf(validate({ ...ds, t: new Float64Array(8) }))).toMatch(/t holds 8 numbers/)
    expect(errorOf(validate({ ...ds, classes: ['a', 'b'] }))).toBe('toy: 2 class labels for 3 targets')
    expect(errorOf(validate({ ...ds, size: 1.5 }))).toMatch(/size must be a non-negative integer/)
  })
})

describe('subset, slice and shuffled', () => {
  it('copies the chosen rows with their targets and metadata', () => {
    const ds = toy(6)
    const s = subset(ds, [4, 1, 1])
    expect(ids(s)).toEqual([4, 1, 1])
    expect([...s.x]).toEqual([4, 40, 1, 10, 1, 10])
    expect([...labels(s)]).toEqual([1, 1, 1])
    expect(s.classes).toEqual(['a', 'b', 'c'])
    expect(s.featureNames).toEqual(['i', 'ten_i'])
    expect(() => subset(ds, [6])).toThrow(RangeError)
  })

  it('slices contiguous rows and clamps the bounds', () => {
    const ds = toy(6)
    expect(ids(slice(ds, 2, 4))).toEqual([2, 3])
    expect(slice(ds, 5, 100).size).toBe(1)
    expect(slice(ds, 4, 2).size).toBe(0)
  })

  it('shuffles deterministically without touching the input', () => {
    const ds = toy(20)
    const before = ds.x.slice()
    const a = shuffled(ds, 1)
    expect(ids(a)).toEqual(ids(shuffled(ds, 1)))
    expect(ids(a)).not.toEqual(ids(ds))
    expect(ids(a).sort((p, q) => p - q)).toEqual(ids(ds))
    expect(ds.x).toEqual(before)
    // targets travel with their inputs
    for (let i = 0; i < a.size; i++) expect(labels(a)[i]).toBe(a.x[i * 2]! % 3)
  })
})

describe('splitDataset', () => {
  it('holds out a seeded, disjoint test part', () => {
    const ds = toy(10)
    const r = splitDataset(ds, { testFraction: 0.3, seed: 4 })
    if (E.isLeft(r)) throw new Error(r.left.message)
    const { train, test } = r.right
    expect([train.size, test.size]).toEqual([7, 3])
    expect([train.name, test.name]).toEqual(['toy/train', 'toy/test'])
    expect([...ids(train), ...ids(test)].sort((a, b) => a - b)).toEqual(ids(ds))
    expect(splitDataset(ds, { testFraction: 0.3, seed: 4 })).toEqual(r)
    expect(splitDataset(ds, { testFraction: 0.3, seed: 5 })).not.toEqual(r)
  })

  it('with stratify, gives each class its share of the test part, largest remainders first', () => {
    // 60 samples: classes 0, 1, 2 with 36, 18 and 6 samples (sample i is class 0 below 36, then 1 below 54, then 2).
    const classOf = (i: number) => (i < 36 ? 0 : i < 54 ? 1 : 2)
    const ds: Dataset = { ...toy(60), t: oneHot(Array.from({ length: 60 }, (_, i) => classOf(i)), 3) }
    const perClass = (part: Dataset) => [0, 1, 2].map((c) => Array.from(labels(part)).filter((l) => l === c).length)
    for (const seed of [1, 2, 3]) {
      // 12 test samples: shares 7.2, 3.6, 1.2 -> 7, 4, 1 (the remainder goes to the largest fraction).
      const r = splitDataset(ds, { testSize: 12, seed, stratify: true })
      if (E.isLeft(r)) throw new Error(r.left.message)
      expect(perClass(r.right.test)).toEqual([7, 4, 1])
      expect(perClass(r.right.train)).toEqual([29, 14, 5])
      expect([...ids(r.right.train), ...ids(r.right.test)].sort((a, b) => a - b)).toEqual(ids(ds))
      expect(splitDataset(ds, { testSize: 12, seed, stratify: true })).toEqual(r)
    }
    // Without it, some seed leaves the shares off.
    const shares = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => {
      const r = splitDataset(ds, { testSize: 12, seed })
      return E.isRight(r) ? perClass(r.right.test).join() : ''
    })
    expect(shares.some((s) => s !== '7,4,1')).toBe(true)
  })

  it('takes an exact test size over a fraction, and allows an empty test part', () => {
    const ds = toy(10)
    const r = splitDataset(ds, { testSize: 4, testFraction: 0.5 })
    expect(E.isRight(r) && [r.right.train.size, r.right.test.size]).toEqual([6, 4])
    const none = splitDataset(ds, { testFraction: 0 })
    expect(E.isRight(none) && [none.right.train.size, none.right.test.size]).toEqual([10, 0])
  })

  it('rejects empty data and impossible sizes', () => {
    expect(errorOf(splitDataset(toy(0)))).toBe('toy: the data set is empty')
    expect(errorOf(splitDataset(toy(5), { testFraction: 1 }))).toBe('toy: testFraction must be in [0, 1), got 1')
    expect(errorOf(splitDataset(toy(5), { testSize: 5 }))).toMatch(/leaves nothing to train on/)
    expect(errorOf(splitDataset(toy(5), { testSize: -1 }))).toMatch(/testSize must be a non-negative integer/)
  })

  it('keeps both parts non-empty for small sets', () => {
    expect(testCount(2, 0.01)).toBe(1)
    expect(testCount(2, 0.99)).toBe(1)
    expect(testCount(150, 0.2)).toBe(30)
    expect(testCount(1, 0.5)).toBe(0)
    expect(testCount(10, 0)).toBe(0)
  })
})

describe('labels, oneHot and sampleAt', () => {
  it('round-trips class indices through one-hot rows', () => {
    const cls = [2, 0, 1, 1]
    expect([...labels({ ...toy(4), t: oneHot(cls, 3) })]).toEqual(cls)
    expect(() => oneHot([3], 3)).toThrow(RangeError)
  })

  it('views one sample', () => {
    const s = sampleAt(toy(4), 2)
    expect([...s.x]).toEqual([2, 20])
    expect([...s.t]).toEqual([0, 0, 1])
    expect(() => sampleAt(toy(4), 4)).toThrow(RangeError)
  })
})
