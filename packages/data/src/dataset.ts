import * as E from 'fp-ts/lib/Either.js'
import { dataError, type DataError } from './errors.js'
import { permutation } from './random.js'

/**
 * A supervised data set: `size` samples stored row-major, each with `features`
 * inputs and `targets` outputs.
 *
 * For classification the targets are one-hot rows of width `classes.length`; for
 * regression they are the raw target values and `classes` is absent.
 *
 * Data sets are values: functions in this package never write into `x` or `t` of a
 * data set they are given, and return new arrays instead. Typed arrays cannot be
 * frozen, so please do the same.
 *
 * @example
 * ```ts
 * const ds: Dataset = {
 *   name: 'xor', size: 4, features: 2, targets: 1,
 *   x: Float64Array.of(0, 0, 0, 1, 1, 0, 1, 1),
 *   t: Float64Array.of(0, 1, 1, 0),
 * }
 * ```
 *
 * @category Data sets
 */
export interface Dataset {
  /** A short name for messages, e.g. `iris/train` or `data.csv/test`. */
  readonly name: string
  /** Number of samples, M. */
  readonly size: number
  /** Number of input features per sample, D. */
  readonly features: number
  /** Number of targets per sample, K: the one-hot width for classification. */
  readonly targets: number
  /** Inputs, `size * features` numbers, row-major: sample i is `x[i*D .. i*D+D)`. */
  readonly x: Float64Array
  /** Targets, `size * targets` numbers, row-major: sample i is `t[i*K .. i*K+K)`. */
  readonly t: Float64Array
  /** Class labels in one-hot order; present exactly for classification data. */
  readonly classes?: readonly string[]
  /** Names of the input columns, if known (length `features`). */
  readonly featureNames?: readonly string[]
  /** Names of the target columns, if known (length `targets` for regression). */
  readonly targetNames?: readonly string[]
}

/**
 * A data set split into a training part and a held-out test part. Both parts have
 * the same `features`, `targets` and `classes`. The test part may be empty (size 0)
 * when a test size of 0 was asked for.
 *
 * @category Data sets
 */
export interface Split {
  readonly train: Dataset
  readonly test: Dataset
}

/**
 * One sample's view of a data set, as returned by {@link sampleAt}.
 *
 * @category Data sets
 */
export interface Sample {
  /** The sample's inputs (a read-only view into the data set; do not write). */
  readonly x: Float64Array
  /** The sample's targets (a read-only view into the data set; do not write). */
  readonly t: Float64Array
}

type Meta = Pick<Dataset, 'classes' | 'featureNames' | 'targetNames'>

/** Copies the optional metadata of `from` onto `to` (only fields that are present). */
const withMeta = <A extends object>(to: A, from: Meta): A & Meta => {
  const out: A & { -readonly [K in keyof Meta]: Meta[K] } = { ...to }
  if (from.classes !== undefined) out.classes = from.classes
  if (from.featureNames !== undefined) out.featureNames = from.featureNames
  if (from.targetNames !== undefined) out.targetNames = from.targetNames
  return out
}

const columnLabel = (kind: 'feature' | 'target', index: number, names: readonly string[] | undefined) => {
  const name = names?.[index]
  return name === undefined || name === '' ? `${kind} ${index}` : `${kind} ${index} (${JSON.stringify(name)})`
}

const describeValue = (v: number): string => (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity')

/**
 * Checks that a data set is well formed and holds only finite numbers: the array
 * lengths match `size`, `features` and `targets`, `classes` (when present) has one
 * label per target, and no input or target is `NaN` or infinite.
 *
 * Returns the same data set on success. A `NaN` is reported, never trained on: the
 * error names the data set, the 0-based sample index and the column, e.g.
 * `iris/train: sample 17, feature 2 ("petal_length") is NaN`.
 *
 * @example
 * ```ts
 * pipe(validate(ds), E.map((ok) => ok.size))
 * ```
 *
 * @category Data sets
 */
export const validate = (ds: Dataset): E.Either<DataError, Dataset> => {
  const { name, size, features: D, targets: K } = ds
  const where = { source: name }
  for (const [field, value] of [
    ['size', size],
    ['features', D],
    ['targets', K],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      return E.left(dataError(`${name}: ${field} must be a non-negative integer, got ${value}`, where))
    }
  }
  if (ds.x.length !== size * D) {
    return E.left(
      dataError(`${name}: x holds ${ds.x.length} numbers, expected size * features = ${size} * ${D} = ${size * D}`, where),
    )
  }
  if (ds.t.length !== size * K) {
    return E.left(
      dataError(`${name}: t holds ${ds.t.length} numbers, expected size * targets = ${size} * ${K} = ${size * K}`, where),
    )
  }
  if (ds.classes !== undefined && ds.classes.length !== K) {
    return E.left(dataError(`${name}: ${ds.classes.length} class labels for ${K} targets`, where))
  }
  if (ds.featureNames !== undefined && ds.featureNames.length !== D) {
    return E.left(dataError(`${name}: ${ds.featureNames.length} feature names for ${D} features`, where))
  }
  const bad = (arr: Float64Array, width: number, kind: 'feature' | 'target', names?: readonly string[]) => {
    for (let k = 0; k < arr.length; k++) {
      const v = arr[k]!
      // `v - v` is 0 for finite v and NaN for NaN and both infinities: one test for all.
      if (v - v !== 0) {
        const sample = Math.floor(k / width)
        const column = k - sample * width
        return dataError(`${name}: sample ${sample}, ${columnLabel(kind, column, names)} is ${describeValue(v)}`, {
          source: name,
          sample,
        })
      }
    }
    return undefined
  }
  // For one-hot targets, column k is class k: name the class.
  const targetNames = ds.classes ?? ds.targetNames
  const error = bad(ds.x, D, 'feature', ds.featureNames) ?? bad(ds.t, K, 'target', targetNames)
  return error === undefined ? E.right(ds) : E.left(error)
}

/**
 * A new data set holding the samples at `indices`, in that order (indices may
 * repeat). Rows are copied; the input is not changed.
 *
 * @throws RangeError when an index is outside `0 .. size-1` (a programming error).
 *
 * @category Data sets
 */
export const subset = (ds: Dataset, indices: ArrayLike<number>, name: string = ds.name): Dataset => {
  const { features: D, targets: K } = ds
  const n = indices.length
  const x = new Float64Array(n * D)
  const t = new Float64Array(n * K)
  for (let r = 0; r < n; r++) {
    const i = indices[r]!
    if (!(i >= 0 && i < ds.size && Number.isInteger(i))) {
      throw new RangeError(`subset: index ${i} outside 0..${ds.size - 1} of ${ds.name}`)
    }
    x.set(ds.x.subarray(i * D, i * D + D), r * D)
    t.set(ds.t.subarray(i * K, i * K + K), r * K)
  }
  return withMeta({ name, size: n, features: D, targets: K, x, t }, ds)
}

/**
 * The samples of `ds` in a seeded random order. The same seed always gives the same
 * order; the input is not changed.
 *
 * @example
 * ```ts
 * const a = shuffled(ds, 7)
 * const b = shuffled(ds, 7) // same order as a
 * ```
 *
 * @category Data sets
 */
export const shuffled = (ds: Dataset, seed: number): Dataset => subset(ds, permutation(ds.size, seed))

/**
 * The contiguous samples `start .. end-1` as a new data set (rows are copied).
 *
 * @category Data sets
 */
export const slice = (ds: Dataset, start: number, end: number, name: string = ds.name): Dataset => {
  const a = Math.max(0, Math.min(ds.size, start))
  const b = Math.max(a, Math.min(ds.size, end))
  const { features: D, targets: K } = ds
  return withMeta(
    { name, size: b - a, features: D, targets: K, x: ds.x.slice(a * D, b * D), t: ds.t.slice(a * K, b * K) },
    ds,
  )
}

/**
 * Options of {@link splitDataset}.
 *
 * @category Data sets
 */
export interface SplitOptions {
  /** Number of samples held out for testing; wins over `testFraction`. */
  readonly testSize?: number
  /** Fraction of samples held out for testing, in `[0, 1)`. Default 0.2. */
  readonly testFraction?: number
  /** Seed of the shuffle before splitting. Default 0. */
  readonly seed?: number
  /**
   * Keep each class's share of the samples in both parts (classes as
   * {@link labels} reads them): class c of n_c samples gives
   * `testSize * n_c / size` of them to the test part, rounded so that the
   * shares add up to the test size (largest remainders first). For
   * classification data, so that a small test set is not short of a class.
   * Default false.
   */
  readonly stratify?: boolean
}

/**
 * Which samples of `order` (a shuffle of all of them) go to the test part,
 * `nTest` in all, each class giving its share: the last ones of the class
 * in shuffled order.
 */
const stratifiedTest = (ds: Dataset, order: Uint32Array, nTest: number): Uint8Array => {
  const y = labels(ds)
  const counts = new Float64Array(ds.targets)
  for (let i = 0; i < ds.size; i++) counts[y[i]!]! += 1
  const exact = Array.from(counts, (n) => (n * nTest) / ds.size)
  const quota = exact.map(Math.floor)
  const byRemainder = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (let r = 0, left = nTest - quota.reduce((a, b) => a + b, 0); r < left; r++) quota[byRemainder[r]![1]]! += 1
  const test = new Uint8Array(ds.size)
  for (let p = order.length - 1; p >= 0; p--) {
    const i = order[p]!
    if (quota[y[i]!]! > 0) {
      quota[y[i]!]! -= 1
      test[i] = 1
    }
  }
  return test
}

/**
 * The number of test samples for `size` samples and a test fraction in `[0, 1)`:
 * `round(size * fraction)`, but at least 1 when the fraction is positive and at most
 * `size - 1`, so both parts are non-empty whenever `size >= 2` and `fraction > 0`.
 *
 * @category Data sets
 */
export const testCount = (size: number, fraction: number): number =>
  fraction <= 0 || size < 2 ? 0 : Math.min(size - 1, Math.max(1, Math.round(size * fraction)))

/**
 * Splits a data set into train and test parts after a seeded shuffle: the test part
 * is the last `testSize` samples of the shuffled order, the training part the rest
 * (with `stratify`, the last ones of each class, its share of them). Both parts keep
 * the shuffled order. The same seed always gives the same split. The parts are named `<name>/train` and
 * `<name>/test`.
 *
 * Fails when the data set is empty, when the test size or fraction is out of range,
 * or when nothing would be left to train on.
 *
 * @example
 * ```ts
 * splitDataset(ds, { testFraction: 0.25, seed: 1 }) // Right({ train, test })
 * ```
 *
 * @category Data sets
 */
export const splitDataset = (ds: Dataset, opts: SplitOptions = {}): E.Either<DataError, Split> => {
  const where = { source: ds.name }
  const seed = opts.seed ?? 0
  if (ds.size === 0) return E.left(dataError(`${ds.name}: the data set is empty`, where))
  let nTest: number
  if (opts.testSize !== undefined) {
    nTest = opts.testSize
    if (!Number.isSafeInteger(nTest) || nTest < 0) {
      return E.left(dataError(`${ds.name}: testSize must be a non-negative integer, got ${nTest}`, where))
    }
  } else {
    const f = opts.testFraction ?? 0.2
    if (!(f >= 0 && f < 1)) {
      return E.left(dataError(`${ds.name}: testFraction must be in [0, 1), got ${f}`, where))
    }
    nTest = testCount(ds.size, f)
  }
  if (nTest >= ds.size) {
    return E.left(
      dataError(`${ds.name}: a test set of ${nTest} leaves nothing to train on (the data set has ${ds.size} samples)`, where),
    )
  }
  const order = permutation(ds.size, seed)
  const nTrain = ds.size - nTest
  if (opts.stratify) {
    const test = stratifiedTest(ds, order, nTest)
    return E.right({
      train: subset(ds, order.filter((i) => !test[i]), `${ds.name}/train`),
      test: subset(ds, order.filter((i) => test[i] === 1), `${ds.name}/test`),
    })
  }
  return E.right({
    train: subset(ds, order.subarray(0, nTrain), `${ds.name}/train`),
    test: subset(ds, order.subarray(nTrain), `${ds.name}/test`),
  })
}

/**
 * The class index of every sample of a classification data set: the position of the
 * largest target in each row (the one-hot 1). For data without `classes` it is the
 * arg-max of the target row all the same.
 *
 * @category Data sets
 */
export const labels = (ds: Dataset): Int32Array => {
  const K = ds.targets
  const out = new Int32Array(ds.size)
  for (let i = 0; i < ds.size; i++) {
    let best = 0
    for (let k = 1; k < K; k++) if (ds.t[i * K + k]! > ds.t[i * K + best]!) best = k
    out[i] = best
  }
  return out
}

/**
 * Views of the inputs and targets of sample `i` (no copy; do not write into them).
 *
 * @throws RangeError when `i` is outside `0 .. size-1`.
 *
 * @category Data sets
 */
export const sampleAt = (ds: Dataset, i: number): Sample => {
  if (!(Number.isInteger(i) && i >= 0 && i < ds.size)) {
    throw new RangeError(`sampleAt: index ${i} outside 0..${ds.size - 1} of ${ds.name}`)
  }
  const { features: D, targets: K } = ds
  return { x: ds.x.subarray(i * D, i * D + D), t: ds.t.subarray(i * K, i * K + K) }
}

/**
 * Renames a data set (a shallow copy; the arrays are shared).
 *
 * @category Data sets
 */
export const renamed = (ds: Dataset, name: string): Dataset => ({ ...ds, name })

/**
 * One-hot rows for class indices: row i has a 1 at `classIndex[i]` and 0 elsewhere.
 *
 * @throws RangeError when a class index is outside `0 .. numClasses-1`.
 *
 * @category Data sets
 */
export const oneHot = (classIndex: ArrayLike<number>, numClasses: number): Float64Array => {
  const t = new Float64Array(classIndex.length * numClasses)
  for (let i = 0; i < classIndex.length; i++) {
    const c = classIndex[i]!
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) {
      throw new RangeError(`oneHot: class ${c} outside 0..${numClasses - 1}`)
    }
    t[i * numClasses + c] = 1
  }
  return t
}
