import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { type CsvRecord, csvPlace, parseCsvTable } from './csv-table.js'
import { type Dataset, splitDataset, validate } from './dataset.js'
import { dataError, type DataError } from './errors.js'
import { type Normalization, type NormalizedSplit, normalizeSplit } from './normalize.js'

/**
 * Options of {@link parseCsvDataset}: which columns are targets and how to read them.
 *
 * @category CSV
 */
export interface CsvDatasetOptions {
  /** Name of the target column, or names of several (regression) target columns. Default: the last column. */
  readonly target?: string | readonly string[]
  /** Names of the input columns. Default: every column that is not a target. */
  readonly features?: readonly string[]
  /**
   * Read the (single) target column as class labels and one-hot encode them.
   * Default: true exactly when there is one target column and some value in it is
   * not a number (empty cells and `NaN`/`Infinity` words do not count: they are
   * reported as errors of a numeric column).
   */
  readonly classification?: boolean
  /** Name used in messages and data set names. Default: the file path for {@link loadCsv}, else `csv`. */
  readonly name?: string
}

/**
 * Options of {@link parseCsv} and {@link loadCsv}.
 *
 * @category CSV
 */
export interface CsvOptions extends CsvDatasetOptions {
  /** Feature normalisation, fitted on the training part only. Default `'none'`. */
  readonly normalize?: Normalization
  /** Fraction of rows held out for testing, in `[0, 1)`. Default 0.2. */
  readonly testFraction?: number
  /** Number of rows held out for testing; wins over `testFraction`. */
  readonly testSize?: number
  /** Seed of the shuffle that decides the split. Default 0. */
  readonly seed?: number
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const NAN_WORD = /^[+-]?nan$/i
const INF_WORD = /^[+-]?inf(?:inity)?$/i

/** Reads one cell as a finite number, or says why it is not one. */
const readNumber = (cell: string): number | string => {
  const s = cell.trim()
  if (s === '') return 'missing value'
  if (NAN_WORD.test(s)) return `${JSON.stringify(s)} is NaN, which cannot be trained on`
  if (INF_WORD.test(s)) return `${JSON.stringify(s)} is infinite, which cannot be trained on`
  if (!NUMBER.test(s)) return `${JSON.stringify(s)} is not a number`
  const v = Number(s)
  return Number.isFinite(v) ? v : `${JSON.stringify(s)} is too large (not a finite double)`
}

const isNumeric = (cell: string): boolean => NUMBER.test(cell.trim())

/** A cell that says "not a class label": a number, a NaN or infinity word, or nothing. */
const isNumberLike = (cell: string): boolean => {
  const s = cell.trim()
  return s === '' || NUMBER.test(s) || NAN_WORD.test(s) || INF_WORD.test(s)
}

/** Class labels in a fixed order: numerically if all are numbers, else by UTF-16 code units. */
const sortLabels = (labels: Iterable<string>): string[] => {
  const all = [...labels]
  return all.every(isNumeric)
    ? all.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0))
    : all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

const quoteName = (name: string) => JSON.stringify(name)

/**
 * Reads CSV text into one data set (no split, no normalisation). The first non-blank
 * line is the header; the target column (default: the last) becomes the targets and
 * the other columns (or `features`) the inputs, which must be numbers.
 *
 * Classification targets are one-hot encoded over the distinct labels, sorted
 * (numerically when every label is a number); regression targets are read as
 * numbers. Errors name the line and column, e.g.
 * `data.csv line 7, column 3 ("petal_width"): "abc" is not a number` or
 * `data.csv line 4 has 3 fields, expected 5`. A `NaN` or infinite value is an error,
 * never data.
 *
 * @category CSV
 */
export const parseCsvDataset = (text: string, opts: CsvDatasetOptions = {}): E.Either<DataError, Dataset> => {
  const source = opts.name
  const label = source ?? 'csv'
  const tableE = parseCsvTable(text, source)
  if (E.isLeft(tableE)) return tableE
  const { header, rows } = tableE.right
  const fail = (message: string, where: { line?: number; column?: number } = {}) =>
    E.left(dataError(message, { source, ...where }))
  const listColumns = header.map(quoteName).join(', ')

  const resolve = (names: readonly string[], role: string): number[] | DataError => {
    const out: number[] = []
    for (const name of names) {
      const hits = header.flatMap((h, k) => (h === name ? [k] : []))
      if (hits.length === 0) {
        return dataError(`${label}: no ${role} column named ${quoteName(name)} (columns: ${listColumns})`, { source })
      }
      if (hits.length > 1) {
        return dataError(
          `${label}: ${role} column name ${quoteName(name)} is ambiguous (columns ${hits.map((k) => k + 1).join(' and ')})`,
          { source },
        )
      }
      if (out.includes(hits[0]!)) return dataError(`${label}: ${role} column ${quoteName(name)} is named twice`, { source })
      out.push(hits[0]!)
    }
    return out
  }

  const targetNames =
    opts.target === undefined ? [header[header.length - 1]!] : typeof opts.target === 'string' ? [opts.target] : opts.target
  if (targetNames.length === 0) return fail(`${label}: no target column given`)
  const targetCols = opts.target === undefined ? [header.length - 1] : resolve(targetNames, 'target')
  if (!Array.isArray(targetCols)) return E.left(targetCols)
  let featureCols: number[]
  if (opts.features === undefined) {
    featureCols = header.flatMap((_, k) => (targetCols.includes(k) ? [] : [k]))
  } else {
    const r = resolve(opts.features, 'feature')
    if (!Array.isArray(r)) return E.left(r)
    const both = r.find((k) => targetCols.includes(k))
    if (both !== undefined) return fail(`${label}: column ${quoteName(header[both]!)} is both a feature and a target`)
    featureCols = r
  }
  if (featureCols.length === 0) return fail(`${label}: no feature columns (the header has ${header.length} column(s))`)
  if (rows.length === 0) return fail(`${label}: the data set is empty (no rows after the header)`)

  for (const row of rows) {
    if (row.fields.length !== header.length) {
      return fail(`${csvPlace(source, row.line)} has ${row.fields.length} fields, expected ${header.length}`, {
        line: row.line,
      })
    }
  }

  const cellError = (row: CsvRecord, k: number, what: string) =>
    fail(`${csvPlace(source, row.fieldLines[k]!, k + 1)} (${quoteName(header[k]!)}): ${what}`, {
      line: row.fieldLines[k]!,
      column: k + 1,
    })

  const classification =
    opts.classification ?? (targetCols.length === 1 && rows.some((row) => !isNumberLike(row.fields[targetCols[0]!]!)))
  if (classification && targetCols.length !== 1) {
    return fail(`${label}: classification needs exactly one target column, got ${targetCols.length}`)
  }

  const M = rows.length
  const D = featureCols.length
  const x = new Float64Array(M * D)
  for (let i = 0; i < M; i++) {
    const row = rows[i]!
    for (let j = 0; j < D; j++) {
      const k = featureCols[j]!
      const v = readNumber(row.fields[k]!)
      if (typeof v === 'string') return cellError(row, k, v)
      x[i * D + j] = v
    }
  }

  let K: number
  let t: Float64Array
  let classes: string[] | undefined
  if (classification) {
    const k = targetCols[0]!
    const rowLabels: string[] = []
    for (const row of rows) {
      const cell = row.fields[k]!.trim()
      if (cell === '') return cellError(row, k, 'missing class label')
      if (NAN_WORD.test(cell)) return cellError(row, k, `${JSON.stringify(cell)} is NaN, which cannot be trained on`)
      rowLabels.push(cell)
    }
    classes = sortLabels(new Set(rowLabels))
    const index = new Map(classes.map((c, n) => [c, n]))
    K = classes.length
    t = new Float64Array(M * K)
    rowLabels.forEach((c, i) => (t[i * K + index.get(c)!] = 1))
  } else {
    K = targetCols.length
    t = new Float64Array(M * K)
    for (let i = 0; i < M; i++) {
      const row = rows[i]!
      for (let j = 0; j < K; j++) {
        const k = targetCols[j]!
        const v = readNumber(row.fields[k]!)
        if (typeof v === 'string') return cellError(row, k, v)
        t[i * K + j] = v
      }
    }
  }

  const base = {
    name: label,
    size: M,
    features: D,
    targets: K,
    x,
    t,
    featureNames: featureCols.map((k) => header[k]!),
    targetNames: targetCols.map((k) => header[k]!),
  }
  return validate(classes === undefined ? base : { ...base, classes })
}

/**
 * Reads CSV text into a train/test split: {@link parseCsvDataset}, then a seeded
 * shuffle and split (default 20% test, seed 0; stratified when the targets are class
 * labels, so each class keeps its share of both parts), then optional normalisation of the
 * inputs with statistics of the training part only, applied to both parts. The
 * result carries the fitted normaliser for new data.
 *
 * @example
 * ```ts
 * const text = 'x1,x2,label\n0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n'
 * parseCsv(text, { testFraction: 0.25, normalize: 'minmax' })
 * // Right({ train: 3 samples, test: 1 sample, classes ['no', 'yes'], ... })
 * ```
 *
 * @category CSV
 */
export const parseCsv = (text: string, opts: CsvOptions = {}): E.Either<DataError, NormalizedSplit> =>
  pipe(
    parseCsvDataset(text, opts),
    E.flatMap((ds) =>
      splitDataset(ds, {
        seed: opts.seed ?? 0,
        testFraction: opts.testFraction ?? 0.2,
        ...(opts.testSize === undefined ? {} : { testSize: opts.testSize }),
        // Class labels keep their shares in both parts.
        stratify: ds.classes !== undefined,
      }),
    ),
    E.map((split) => normalizeSplit(split, opts.normalize ?? 'none')),
    E.tap(({ train }) => validate(train)),
    E.tap(({ test }) => validate(test)),
  )

/**
 * Reads a CSV file (UTF-8) and returns a train/test split as {@link parseCsv} does.
 * Messages name the file as given, e.g. `data.csv line 7, column 3 ("petal_width"):
 * "abc" is not a number`; a file that cannot be read is an error too.
 *
 * @example
 * ```ts
 * loadCsv('data/wine.csv', { target: 'quality', classification: true, normalize: 'standard', seed: 1 })
 * ```
 *
 * @category CSV
 */
export const loadCsv = (path: string, opts: CsvOptions = {}): E.Either<DataError, NormalizedSplit> => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    const code = (e as { code?: string }).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'cannot be read')
    return E.left(dataError(`${path}: cannot read the file (${why})`, { source: path }))
  }
  return parseCsv(text, { ...opts, name: opts.name ?? path })
}
