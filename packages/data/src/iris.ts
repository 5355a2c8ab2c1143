import * as E from 'fp-ts/lib/Either.js'
import { type Dataset, type Split, splitDataset } from './dataset.js'
import type { DataError } from './errors.js'
import { IRIS_CLASSES, IRIS_FEATURES, IRIS_MM } from './iris-data.js'
import { type Normalization, normalizeSplit } from './normalize.js'

/**
 * Options of {@link loadIris}.
 *
 * @category Iris
 */
export interface IrisOptions {
  /** Fraction of the 150 samples held out for testing, in `[0, 1)`. Default 0.2 (30 samples). */
  readonly testFraction?: number
  /** Seed of the shuffle that decides the split. Default 0. */
  readonly seed?: number
  /**
   * Rescale the four features with statistics of the training part: `true` means
   * `'standard'`. Default `false` (raw centimetres).
   */
  readonly normalize?: boolean | Normalization
}

let cached: Dataset | undefined

/**
 * All 150 samples of Fisher's iris data in the published order (50 setosa, 50
 * versicolor, 50 virginica): 4 features in centimetres (`sepal_length`,
 * `sepal_width`, `petal_length`, `petal_width`) and one-hot targets over the classes
 * `setosa`, `versicolor`, `virginica`. The data is bundled; nothing is read from disk.
 *
 * @category Iris
 */
export const iris = (): Dataset => {
  if (cached !== undefined) return { ...cached, x: cached.x.slice(), t: cached.t.slice() }
  const D = IRIS_FEATURES.length
  const K = IRIS_CLASSES.length
  const rows = IRIS_MM.flatMap((block, c) =>
    block
      .trim()
      .split(/\s+/)
      .map((row) => ({ c, values: row.split(',').map(Number) })),
  )
  const x = new Float64Array(rows.length * D)
  const t = new Float64Array(rows.length * K)
  rows.forEach(({ c, values }, i) => {
    // Millimetres to centimetres: n / 10 is the double nearest to the decimal "n/10".
    values.forEach((v, j) => (x[i * D + j] = v / 10))
    t[i * K + c] = 1
  })
  cached = {
    name: 'iris',
    size: rows.length,
    features: D,
    targets: K,
    x,
    t,
    classes: IRIS_CLASSES,
    featureNames: IRIS_FEATURES,
  }
  return iris()
}

/**
 * Fisher's iris data split into train and test parts by a seeded shuffle (see
 * {@link iris}), stratified: each species keeps its share of both parts. With the
 * defaults, 120 samples train and 30 test (10 of each species). The same seed always
 * gives the same split. Normalisation, when asked for, uses statistics of the
 * training part only.
 *
 * Fails only on bad options (a test fraction outside `[0, 1)`).
 *
 * @example
 * ```ts
 * const split = loadIris({ seed: 1, normalize: true })
 * if (E.isRight(split)) console.log(split.right.train.size) // 120
 * ```
 *
 * @category Iris
 */
export const loadIris = (opts: IrisOptions = {}): E.Either<DataError, Split> => {
  const kind: Normalization =
    opts.normalize === true ? 'standard' : opts.normalize === false || opts.normalize === undefined ? 'none' : opts.normalize
  return E.map((split: Split) => (kind === 'none' ? split : normalizeSplit(split, kind)))(
    splitDataset(iris(), { testFraction: opts.testFraction ?? 0.2, seed: opts.seed ?? 0, stratify: true }),
  )
}
