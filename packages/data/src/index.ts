/**
 * Data sets for backprop: MNIST digits from the `mnist` package, Fisher's iris data,
 * and CSV files, with seeded shuffling and mini-batching.
 *
 * Every loader returns an fp-ts `Either`: a {@link DataError} whose message says what
 * and where (file, line, column, sample), or a {@link Split} of two {@link Dataset}s
 * with row-major `Float64Array` inputs and targets. No `NaN` or infinity ever reaches
 * a data set: it is reported instead. All randomness is seeded, so the same seed gives
 * the same split and the same batches on every run.
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js'
 * import { batches, loadMnist } from '@backprop/data'
 *
 * const split = loadMnist({ trainSize: 8000, seed: 1 })
 * if (E.isRight(split)) {
 *   for (const batch of batches(split.right.train, 64, { seed: 1, epoch: 1 })) {
 *     // batch.x: 64 × 784, batch.t: 64 × 10
 *   }
 * }
 * ```
 *
 * @packageDocumentation
 */
export { type Batch, type BatchArray, type BatchOptions, batchCount, batches, epochOrder } from './batches.js'
export { type CsvRecord, type CsvTable, csvPlace, parseCsvTable } from './csv-table.js'
export { type CsvDatasetOptions, type CsvOptions, loadCsv, parseCsv, parseCsvDataset } from './csv.js'
export {
  type Dataset,
  type Sample,
  type Split,
  type SplitOptions,
  labels,
  oneHot,
  renamed,
  sampleAt,
  shuffled,
  slice,
  splitDataset,
  subset,
  testCount,
  validate,
} from './dataset.js'
export { type DataError, type DataLocation, dataError, isDataError } from './errors.js'
export { type IrisOptions, iris, loadIris } from './iris.js'
export {
  MNIST_DEFAULT_TRAIN_SIZE,
  MNIST_PIXELS,
  MNIST_SIDE,
  type MnistOptions,
  loadMnist,
  mnistAll,
  mnistCount,
} from './mnist.js'
export {
  type Normalization,
  type NormalizedSplit,
  type Normalizer,
  applyNormalizer,
  fitNormalizer,
  normalizeSplit,
} from './normalize.js'
export { type Rng, mixSeed, permutation, randomInt, rng, seed32 } from './random.js'
