import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Dataset, labels, validate } from './dataset.js'
import { loadMnist, MNIST_PIXELS, mnistAll, mnistCount } from './mnist.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}
const message = <A>(e: E.Either<{ message: string }, A>): string => {
  if (E.isRight(e)) throw new Error('expected a Left')
  return e.left.message
}

/** A fingerprint of every image, to compare sets of samples. */
const fingerprints = (ds: Dataset): string[] => {
  const l = labels(ds)
  return Array.from({ length: ds.size }, (_, i) => {
    let h = 0
    for (let p = 0; p < MNIST_PIXELS; p++) h = (Math.imul(h, 31) + Math.round(ds.x[i * MNIST_PIXELS + p]! * 1000)) | 0
    return `${h}:${l[i]}`
  })
}

describe('loadMnist', () => {
  // How fast the digits load is measured by `npm run bench -- --only data`, not here.
  let split: { train: Dataset; test: Dataset }
  beforeAll(() => {
    split = right(loadMnist({}))
  })

  it('defaults to 8000 training digits and the rest for testing', () => {
    const total = right(mnistCount())
    expect(total).toBe(10000)
    expect([split.train.size, split.test.size]).toEqual([8000, total - 8000])
    for (const ds of [split.train, split.test]) {
      expect([ds.features, ds.targets]).toEqual([784, 10])
      expect(ds.x.length).toBe(ds.size * 784)
      expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    }
    expect([split.train.name, split.test.name]).toEqual(['mnist/train', 'mnist/test'])
  })

  it('has pixels in [0, 1] that look like digits and valid one-hot targets', () => {
    const { train } = split
    expect(E.isRight(validate(train))).toBe(true)
    let min = Infinity
    let max = -Infinity
    let sum = 0
    for (const v of train.x) {
      if (v < min) min = v
      if (v > max) max = v
      sum += v
    }
    expect([min, max]).toEqual([0, 1])
    const mean = sum / train.x.length
    expect(mean).toBeGreaterThan(0.08) // MNIST's mean intensity is about 0.13
    expect(mean).toBeLessThan(0.2)
    // the border of the 28 × 28 image is almost always blank, the centre often inked
    const pixelMean = (r: number, c: number) => {
      let s = 0
      for (let i = 0; i < train.size; i++) s += train.x[i * 784 + r * 28 + c]!
      return s / train.size
    }
    expect(pixelMean(0, 0)).toBe(0)
    expect(pixelMean(14, 14)).toBeGreaterThan(0.3)
    let badRows = 0
    for (let i = 0; i < train.size; i++) {
      const row = [...train.t.subarray(i * 10, i * 10 + 10)]
      if (!(row.every((v) => v === 0 || v === 1) && row.reduce<number>((a, b) => a + b, 0) === 1)) badRows++
    }
    expect(badRows).toBe(0)
  })

  it('has every digit in both parts in plausible proportions', () => {
    for (const ds of [split.train, split.test]) {
      const c = new Array<number>(10).fill(0)
      labels(ds).forEach((l) => c[l]!++)
      for (const n of c) {
        expect(n / ds.size).toBeGreaterThan(0.06)
        expect(n / ds.size).toBeLessThan(0.15)
      }
    }
  })

  it('splits the digits without overlap, as a function of the seed', () => {
    const all = fingerprints(right(mnistAll()))
    const a = right(loadMnist({ trainSize: 1000, testSize: 500, seed: 7 }))
    const b = right(loadMnist({ trainSize: 1000, testSize: 500, seed: 7 }))
    expect(fingerprints(b.train)).toEqual(fingerprints(a.train))
    expect(fingerprints(b.test)).toEqual(fingerprints(a.test))
    const c = right(loadMnist({ trainSize: 1000, testSize: 500, seed: 8 }))
    expect(fingerprints(c.train)).not.toEqual(fingerprints(a.train))
    const trainSet = new Set(fingerprints(a.train))
    const testPrints = fingerprints(a.test)
    expect(testPrints.filter((f) => trainSet.has(f))).toEqual([])
    const known = new Set(all)
    expect([...trainSet, ...testPrints].every((f) => known.has(f))).toBe(true)
    // the default split covers every digit exactly once
    expect([...fingerprints(split.train), ...fingerprints(split.test)].sort()).toEqual([...all].sort())
  })

  it('keeps the package order in mnistAll: all zeros first, all nines last', () => {
    const ds = right(mnistAll())
    const l = labels(ds)
    expect(l[0]).toBe(0)
    expect(l[ds.size - 1]).toBe(9)
    expect([...l].every((v, i) => i === 0 || v >= l[i - 1]!)).toBe(true)
  })

  it('gives every pixel as the double JSON.parse reads from the package files, in their order', () => {
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits')
    const expected = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data).flat()
    const ds = right(mnistAll())
    expect(ds.x.length).toBe(expected.length)
    const differs = expected.findIndex((v, i) => !Object.is(ds.x[i], v))
    expect(differs, differs < 0 ? '' : `pixel ${differs}: ${ds.x[differs]} instead of ${expected[differs]}`).toBe(-1)
  })

  it('rejects sizes that do not fit', () => {
    expect(message(loadMnist({ trainSize: 60000 }))).toBe('mnist: trainSize 60000 exceeds the 10000 digits of the mnist package')
    expect(message(loadMnist({ trainSize: 8000, testSize: 3000 }))).toBe(
      'mnist: trainSize 8000 + testSize 3000 exceeds the 10000 digits of the mnist package',
    )
    expect(message(loadMnist({ trainSize: 0 }))).toBe('mnist: trainSize must be a positive integer, got 0')
    expect(message(loadMnist({ trainSize: 10.5 }))).toBe('mnist: trainSize must be a positive integer, got 10.5')
    expect(message(loadMnist({ testSize: -1 }))).toBe('mnist: testSize must be a non-negative integer, got -1')
  })
})
