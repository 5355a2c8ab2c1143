import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { labels, validate } from './dataset.js'
import { iris, loadIris } from './iris.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

const counts = (cls: Int32Array, k: number) => {
  const c = new Array<number>(k).fill(0)
  cls.forEach((v) => c[v]!++)
  return c
}

describe('iris', () => {
  const ds = iris()

  it('has 150 samples of 4 features and 3 classes, 50 of each', () => {
    expect([ds.size, ds.features, ds.targets]).toEqual([150, 4, 3])
    expect(ds.classes).toEqual(['setosa', 'versicolor', 'virginica'])
    expect(ds.featureNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width'])
    expect(counts(labels(ds), 3)).toEqual([50, 50, 50])
    expect(E.isRight(validate(ds))).toBe(true)
  })

  it("matches Fisher's table: first and last samples, column means", () => {
    expect([...ds.x.subarray(0, 4)]).toEqual([5.1, 3.5, 1.4, 0.2])
    expect([...ds.x.subarray(149 * 4)]).toEqual([5.9, 3.0, 5.1, 1.8])
    // samples 35 and 38 (1-based) as in Fisher's paper
    expect([...ds.x.subarray(34 * 4, 35 * 4)]).toEqual([4.9, 3.1, 1.5, 0.2])
    expect([...ds.x.subarray(37 * 4, 38 * 4)]).toEqual([4.9, 3.6, 1.4, 0.1])
    const mean = (j: number) => [...ds.x].filter((_, k) => k % 4 === j).reduce((a, b) => a + b, 0) / 150
    expect([0, 1, 2, 3].map((j) => mean(j).toFixed(4))).toEqual(['5.8433', '3.0573', '3.7580', '1.1993'])
    // per-class petal length means of the published table
    const petal = (c: number) => [...ds.x].filter((_, k) => k % 4 === 2).slice(50 * c, 50 * c + 50).reduce((a, b) => a + b, 0) / 50
    expect([0, 1, 2].map((c) => petal(c).toFixed(3))).toEqual(['1.462', '4.260', '5.552'])
  })

  it('hands out copies, so a caller cannot corrupt the bundled data', () => {
    iris().x.fill(0)
    expect(iris().x[0]).toBe(5.1)
  })
})

describe('loadIris', () => {
  it('splits 120/30 by default, 10 of each species in the test part, the same way for the same seed', () => {
    const s = right(loadIris())
    expect([s.train.size, s.test.size]).toEqual([120, 30])
    for (const seed of [0, 1, 2]) expect([...counts(labels(right(loadIris({ seed })).test), 3)]).toEqual([10, 10, 10])
    expect(right(loadIris({ seed: 0 }))).toEqual(s)
    expect(right(loadIris({ seed: 1 })).test.x).not.toEqual(s.test.x)
    const all = [...counts(labels(s.train), 3)].map((n, c) => n + counts(labels(s.test), 3)[c]!)
    expect(all).toEqual([50, 50, 50])
  })

  it('normalises with training statistics on request', () => {
    const s = right(loadIris({ seed: 3, normalize: true, testFraction: 0.1 }))
    expect([s.train.size, s.test.size]).toEqual([135, 15])
    for (let j = 0; j < 4; j++) {
      const col = [...s.train.x].filter((_, k) => k % 4 === j)
      expect(col.reduce((a, b) => a + b, 0) / col.length).toBeCloseTo(0, 12)
    }
    const mm = right(loadIris({ normalize: 'minmax' }))
    expect(Math.min(...mm.train.x)).toBe(0)
    expect(Math.max(...mm.train.x)).toBe(1)
  })

  it('rejects a bad test fraction', () => {
    const r = loadIris({ testFraction: -0.1 })
    expect(E.isLeft(r) && r.left.message).toBe('iris: testFraction must be in [0, 1), got -0.1')
  })
})
