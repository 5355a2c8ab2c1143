import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { loadCsv, parseCsv, parseCsvDataset } from './csv.js'
import { parseCsvTable } from './csv-table.js'
import { labels } from './dataset.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(`expected Right, got: ${e.left.message}`)
  return e.right
}
const message = <A>(e: E.Either<{ message: string }, A>): string => {
  if (E.isRight(e)) throw new Error('expected a Left')
  return e.left.message
}

const IRIS_LIKE = [
  'sepal_length,sepal_width,petal_length,petal_width,species',
  '5.1,3.5,1.4,0.2,setosa',
  '7.0,3.2,4.7,1.4,versicolor',
  '6.3,3.3,6.0,2.5,virginica',
  '4.9,3.0,1.4,0.2,setosa',
  '',
].join('\n')

describe('parseCsvTable', () => {
  it('handles quoted fields with commas, doubled quotes and line breaks', () => {
    const t = right(parseCsvTable('name,note\n"Smith, J.","said ""hi"""\n"two\nlines",x\nlast,"y"\n'))
    expect(t.header).toEqual(['name', 'note'])
    expect(t.rows.map((r) => r.fields)).toEqual([
      ['Smith, J.', 'said "hi"'],
      ['two\nlines', 'x'],
      ['last', 'y'],
    ])
    expect(t.rows.map((r) => r.line)).toEqual([2, 3, 5])
  })

  it('accepts CRLF and CR line ends, a byte-order mark and blank lines', () => {
    const t = right(parseCsvTable('\uFEFFa,b\r\n1,2\r\n\r\n3,4\r5,6\r\n\r\n'))
    expect(t.header).toEqual(['a', 'b'])
    expect(t.rows.map((r) => [r.line, ...r.fields])).toEqual([
      [2, '1', '2'],
      [4, '3', '4'],
      [5, '5', '6'],
    ])
  })

  it('keeps empty fields', () => {
    expect(right(parseCsvTable('a,b,c\n,,\n')).rows[0]!.fields).toEqual(['', '', ''])
  })

  it('names the line and column of an unterminated quote or text after a closing quote', () => {
    expect(message(parseCsvTable('a,b\n1,"open\n2,3\n', 'f.csv'))).toBe('f.csv line 2, column 2: unterminated quoted field')
    expect(message(parseCsvTable('a,b\n1,2\n"x"y,3\n', 'f.csv'))).toBe(
      'f.csv line 3, column 1: unexpected "y" after a closing quote',
    )
  })

  it('needs a header', () => {
    expect(message(parseCsvTable('\n\n', 'f.csv'))).toBe('f.csv: no header row (the text is empty)')
  })
})

describe('parseCsvDataset', () => {
  it('one-hot encodes a non-numeric last column over sorted classes', () => {
    const ds = right(parseCsvDataset(IRIS_LIKE))
    expect([ds.size, ds.features, ds.targets]).toEqual([4, 4, 3])
    expect(ds.classes).toEqual(['setosa', 'versicolor', 'virginica'])
    expect(ds.featureNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width'])
    expect([...ds.x.subarray(4, 8)]).toEqual([7.0, 3.2, 4.7, 1.4])
    expect([...ds.t]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0])
    expect([...labels(ds)]).toEqual([0, 1, 2, 0])
  })

  it('reads a numeric target as regression by default, or as classes on request', () => {
    const text = 'x,y\n1,10\n2,20\n3,10\n'
    const reg = right(parseCsvDataset(text))
    expect(reg.classes).toBeUndefined()
    expect([reg.targets, ...reg.t]).toEqual([1, 10, 20, 10])
    expect(reg.targetNames).toEqual(['y'])
    const cls = right(parseCsvDataset(text, { classification: true }))
    expect(cls.classes).toEqual(['10', '20'])
    expect([...cls.t]).toEqual([1, 0, 0, 1, 1, 0])
  })

  it('sorts numeric class labels numerically', () => {
    const ds = right(parseCsvDataset('x,c\n1,10\n2,9\n3,2\n', { classification: true }))
    expect(ds.classes).toEqual(['2', '9', '10'])
  })

  it('chooses target and feature columns by name, including several regression targets', () => {
    const text = 'a,b,c,d\n1,2,3,4\n5,6,7,8\n'
    const ds = right(parseCsvDataset(text, { target: ['d', 'a'] }))
    expect([ds.features, ds.targets, ...ds.x, ...ds.t]).toEqual([2, 2, 2, 3, 6, 7, 4, 1, 8, 5])
    expect(ds.featureNames).toEqual(['b', 'c'])
    expect(ds.targetNames).toEqual(['d', 'a'])
    const picked = right(parseCsvDataset(text, { target: 'b', features: ['d'] }))
    expect([...picked.x, ...picked.t]).toEqual([4, 8, 2, 6])
  })

  it('reads quoted numbers, spaces and exponents', () => {
    const ds = right(parseCsvDataset('a,b,y\n" 1.5 ", -2e-1 ,"x, y"\n+.5,3.,z\n'))
    expect([...ds.x]).toEqual([1.5, -0.2, 0.5, 3])
    expect(ds.classes).toEqual(['x, y', 'z'])
  })

  it('names the line, column and header of a cell that is not a number', () => {
    const text = 'a,b,petal_width,y\n1,2,3,p\n4,5,6,q\n7,8,abc,p\n'
    expect(message(parseCsvDataset(text, { name: 'data.csv' }))).toBe(
      'data.csv line 4, column 3 ("petal_width"): "abc" is not a number',
    )
    const e = parseCsvDataset(text, { name: 'data.csv' })
    expect(E.isLeft(e) && [e.left.source, e.left.line, e.left.column]).toEqual(['data.csv', 4, 3])
    expect(message(parseCsvDataset(text))).toBe('line 4, column 3 ("petal_width"): "abc" is not a number')
  })

  it('counts lines in multi-line quoted fields and blank lines for error positions', () => {
    const text = 'note,x,y\n"a\nb",1,0\n\n"c",zz,1\n'
    expect(message(parseCsvDataset(text, { name: 'd.csv', features: ['x'] }))).toBe(
      'd.csv line 5, column 2 ("x"): "zz" is not a number',
    )
  })

  it('reports rows with the wrong number of fields', () => {
    const text = 'a,b,c,d,e\n1,2,3,4,5\n1,2,3,4,5\n1,2,3\n'
    expect(message(parseCsvDataset(text, { name: 'data.csv' }))).toBe('data.csv line 4 has 3 fields, expected 5')
    expect(message(parseCsvDataset(text))).toBe('line 4 has 3 fields, expected 5')
  })

  it('reports NaN, infinities and missing values instead of reading them', () => {
    expect(message(parseCsvDataset('a,y\n1,0\nNaN,1\n', { name: 'n.csv' }))).toBe(
      'n.csv line 3, column 1 ("a"): "NaN" is NaN, which cannot be trained on',
    )
    expect(message(parseCsvDataset('a,y\n-Infinity,1\n', { name: 'n.csv' }))).toBe(
      'n.csv line 2, column 1 ("a"): "-Infinity" is infinite, which cannot be trained on',
    )
    expect(message(parseCsvDataset('a,y\n1e999,1\n', { name: 'n.csv' }))).toBe(
      'n.csv line 2, column 1 ("a"): "1e999" is too large (not a finite double)',
    )
    expect(message(parseCsvDataset('a,b,y\n1,,1\n', { name: 'n.csv' }))).toBe('n.csv line 2, column 2 ("b"): missing value')
    expect(message(parseCsvDataset('a,y\n1,2\n3,nan\n', { name: 'n.csv' }))).toBe(
      'n.csv line 3, column 2 ("y"): "nan" is NaN, which cannot be trained on',
    )
    expect(message(parseCsvDataset('a,y\n1,p\n2, \n', { name: 'n.csv' }))).toBe(
      'n.csv line 3, column 2 ("y"): missing class label',
    )
  })

  it('names a missing or ambiguous target column', () => {
    expect(message(parseCsvDataset(IRIS_LIKE, { name: 'iris.csv', target: 'class' }))).toBe(
      'iris.csv: no target column named "class" (columns: "sepal_length", "sepal_width", "petal_length", "petal_width", "species")',
    )
    expect(message(parseCsvDataset('a,a,y\n1,2,3\n', { target: 'a' }))).toBe(
      'csv: target column name "a" is ambiguous (columns 1 and 2)',
    )
    expect(message(parseCsvDataset('a,b,y\n1,2,3\n', { features: ['q'] }))).toMatch(/^csv: no feature column named "q"/)
    expect(message(parseCsvDataset('a,b,y\n1,2,3\n', { features: ['a', 'y'] }))).toBe(
      'csv: column "y" is both a feature and a target',
    )
  })

  it('rejects an empty data set, a file without features and multi-column classification', () => {
    expect(message(parseCsvDataset('a,b,y\n\n', { name: 'e.csv' }))).toBe(
      'e.csv: the data set is empty (no rows after the header)',
    )
    expect(message(parseCsvDataset('', { name: 'e.csv' }))).toBe('e.csv: no header row (the text is empty)')
    expect(message(parseCsvDataset('y\n1\n', { name: 'e.csv' }))).toBe(
      'e.csv: no feature columns (the header has 1 column(s))',
    )
    expect(message(parseCsvDataset('a,b,c\n1,2,3\n', { target: ['b', 'c'], classification: true }))).toBe(
      'csv: classification needs exactly one target column, got 2',
    )
  })
})

describe('parseCsv', () => {
  const rows = Array.from({ length: 50 }, (_, i) => `${i},${(i * 7) % 13},${i % 2 === 0 ? 'even' : 'odd'}`)
  const text = ['n,m,parity', ...rows].join('\n')

  it('splits with a seed, 20% test by default', () => {
    const s = right(parseCsv(text, { seed: 3 }))
    expect([s.train.size, s.test.size]).toEqual([40, 10])
    expect([s.train.name, s.test.name]).toEqual(['csv/train', 'csv/test'])
    const n = [...s.train.x, ...s.test.x].filter((_, k) => k % 2 === 0).sort((a, b) => a - b)
    expect(n).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(parseCsv(text, { seed: 3 })).toEqual(parseCsv(text, { seed: 3 }))
    expect(right(parseCsv(text, { seed: 4 })).test.x).not.toEqual(s.test.x)
    expect(right(parseCsv(text, { testSize: 5 })).test.size).toBe(5)
  })

  it('keeps each class label its share of the test part', () => {
    // 40 rows, 30 labelled 'common' and 10 'rare': 8 test rows are 6 common and 2 rare, whatever the seed.
    const skewed = ['v,label', ...Array.from({ length: 40 }, (_, i) => `${i},${i % 4 === 0 ? 'rare' : 'common'}`)].join('\n')
    for (const seed of [1, 2, 3, 4]) {
      const s = right(parseCsv(skewed, { seed }))
      const rare = s.test.classes!.indexOf('rare')
      const inTest = Array.from(labels(s.test)).filter((l) => l === rare).length
      expect([s.test.size, inTest]).toEqual([8, 2])
    }
  })

  it('standardises with statistics of the training part only', () => {
    const raw = right(parseCsv(text, { seed: 1, testFraction: 0.3 }))
    const s = right(parseCsv(text, { seed: 1, testFraction: 0.3, normalize: 'standard' }))
    const column = (x: Float64Array, j: number) => [...x].filter((_, k) => k % 2 === j)
    for (const j of [0, 1]) {
      const tr = column(raw.train.x, j)
      const mean = tr.reduce((a, b) => a + b, 0) / tr.length
      const std = Math.sqrt(tr.reduce((a, b) => a + (b - mean) ** 2, 0) / tr.length)
      const z = column(s.train.x, j)
      expect(z.reduce((a, b) => a + b, 0) / z.length).toBeCloseTo(0, 12)
      expect(Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length)).toBeCloseTo(1, 12)
      // the test part uses the training mean and std, not its own
      column(raw.test.x, j).forEach((v, i) => expect(column(s.test.x, j)[i]).toBeCloseTo((v - mean) / std, 12))
      expect(s.normalizer.offset[j]).toBeCloseTo(mean, 12)
    }
    expect(s.train.t).toEqual(raw.train.t)
  })

  it('min-max scales the training part into [0, 1] and the test part by the same map', () => {
    const raw = right(parseCsv(text, { seed: 2 }))
    const s = right(parseCsv(text, { seed: 2, normalize: 'minmax' }))
    const n = [...raw.train.x].filter((_, k) => k % 2 === 0)
    const lo = Math.min(...n)
    const hi = Math.max(...n)
    const scaled = [...s.train.x].filter((_, k) => k % 2 === 0)
    expect([Math.min(...scaled), Math.max(...scaled)]).toEqual([0, 1])
    const testN = [...raw.test.x].filter((_, k) => k % 2 === 0)
    const testScaled = [...s.test.x].filter((_, k) => k % 2 === 0)
    testN.forEach((v, i) => expect(testScaled[i]).toBeCloseTo((v - lo) / (hi - lo), 12))
  })

  it('leaves a constant column finite when normalising', () => {
    const s = right(parseCsv('a,b,y\n1,5,0\n2,5,1\n3,5,0\n4,5,1\n', { normalize: 'standard', testFraction: 0.25 }))
    expect([...s.train.x, ...s.test.x].every(Number.isFinite)).toBe(true)
    expect([...s.train.x].filter((_, k) => k % 2 === 1)).toEqual([0, 0, 0])
  })

  it('rejects bad split options', () => {
    expect(message(parseCsv(text, { testFraction: 1.5 }))).toBe('csv: testFraction must be in [0, 1), got 1.5')
    expect(message(parseCsv('a,y\n1,2\n', { testSize: 1 }))).toMatch(/leaves nothing to train on/)
  })
})

describe('loadCsv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-data-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads a file and names it in messages and data sets', () => {
    const file = join(dir, 'data.csv')
    writeFileSync(file, IRIS_LIKE)
    const s = right(loadCsv(file, { testFraction: 0.25 }))
    expect([s.train.size, s.test.size, s.train.targets]).toEqual([3, 1, 3])
    expect(s.train.name).toBe(`${file}/train`)
    const bad = join(dir, 'bad.csv')
    writeFileSync(bad, 'a,b,petal_width,y\n1,2,3,p\n1,2,3,q\n1,2,3,p\n1,2,3,p\n1,2,3,p\n1,2,abc,q\n')
    expect(message(loadCsv(bad))).toBe(`${bad} line 7, column 3 ("petal_width"): "abc" is not a number`)
  })

  it('reports a file that cannot be read', () => {
    const missing = join(dir, 'missing.csv')
    expect(message(loadCsv(missing))).toBe(`${missing}: cannot read the file (no such file)`)
    expect(message(loadCsv(dir))).toBe(`${dir}: cannot read the file (is a directory)`)
  })
})
