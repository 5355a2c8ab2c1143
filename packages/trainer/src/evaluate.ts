import type { Backend } from '@backprop/backend'
import { batches, type Dataset } from '@backprop/data'
import * as E from 'fp-ts/lib/Either.js'
import { configError, type TrainError } from './errors.js'
import { batchDType, feedsFor, tallyPredictions } from './feeds.js'
import type { Model } from './model.js'
import { checkParams, type Params } from './params.js'
import { programs, type Programs } from './compile-cache.js'

/**
 * The loss and accuracy of a model on a data set.
 *
 * @category Evaluation
 */
export interface Evaluation {
  /** Mean over chunks of the per-chunk loss (in the model's reduction). */
  readonly loss: number
  /** Fraction of correctly classified samples, or `null` when not asked for or without outputs. */
  readonly accuracy: number | null
  /** The model's metrics (see `ModelGraph.metrics`), each the mean over chunks like `loss`. */
  readonly metrics: Readonly<Record<string, number>>
  /**
   * Counts of samples by true class (row) and predicted class (column), or
   * `null` when accuracy is: C x C for C classes (2 for one output unit,
   * split at 0.5).
   */
  readonly confusion: readonly (readonly number[])[] | null
  /** The first {@link mistakesKept} misclassified samples, in data order; empty when accuracy is `null`. */
  readonly misclassified: readonly Misclassified[]
}

/**
 * A sample the model gets wrong: its position in the evaluated data (from
 * 0), its true class and the class predicted.
 *
 * @category Evaluation
 */
export interface Misclassified {
  readonly sample: number
  readonly actual: number
  readonly predicted: number
}

/**
 * How many misclassified samples an evaluation names: enough for a strip of
 * examples to look at, few enough for every epoch event to carry them.
 *
 * @category Evaluation
 */
export const mistakesKept = 16

/**
 * Evaluates `data` in order, in chunks of `chunk` samples (the last may be
 * smaller), awaiting `pace()` after each chunk (the trainer yields to the
 * event loop there). Resolves to `undefined` when `signal` is aborted
 * between chunks.
 *
 * @internal
 */
export const evaluateOn = async (
  progs: Programs,
  data: Dataset,
  params: Params,
  chunk: number,
  classification: boolean,
  signal?: AbortSignal,
  pace: () => Promise<void> = () => Promise.resolve(),
): Promise<E.Either<TrainError, Evaluation> | undefined> => {
  let lossSum = 0
  const metricSums = progs.metricNames.map(() => 0)
  let chunks = 0
  let correct = 0
  let predicted = false
  let seen = 0
  const classes = Math.max(data.targets, 2)
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  const misclassified: Misclassified[] = []
  for (const batch of batches(data, chunk, { reuse: true, dtype: batchDType(progs) })) {
    const program = progs.evaluation(batch.size)
    if (E.isLeft(program)) return program
    const result = await program.right.exec.run(feedsFor(program.right, batch, params))
    if (signal?.aborted) return undefined
    if (E.isLeft(result)) return E.left(configError(`evaluating ${data.name}: ${result.left.message}`))
    const [loss, y] = result.right
    lossSum += loss!.data[0]!
    result.right.slice(program.right.metricsAt).forEach((m, i) => (metricSums[i]! += m.data[0]!))
    chunks += 1
    if (classification && program.right.predicts && y !== undefined) {
      predicted = true
      const offset = seen
      correct += tallyPredictions(y.data, batch.t, batch.size, data.targets, confusion, (row, actual, guess) => {
        if (misclassified.length < mistakesKept) misclassified.push({ sample: offset + row, actual, predicted: guess })
      })
    }
    seen += batch.size
    await pace()
    if (signal?.aborted) return undefined
  }
  return E.right({
    loss: lossSum / chunks,
    accuracy: predicted ? correct / data.size : null,
    metrics: Object.fromEntries(progs.metricNames.map((name, i) => [name, metricSums[i]! / chunks])),
    confusion: predicted ? confusion : null,
    misclassified,
  })
}

/**
 * Options of {@link evaluateModel}.
 *
 * @category Evaluation
 */
export interface EvaluateModelOptions {
  /** The model. */
  readonly model: Model
  /** The backend to run it on. */
  readonly backend: Backend
  /** The samples to evaluate (at least one). */
  readonly data: Dataset
  /** The parameters to evaluate with. */
  readonly params: Params
  /** Samples per chunk (default: all at once). */
  readonly batchSize?: number
  /** Whether to compute accuracy; by default exactly when `data` has `classes`. */
  readonly classification?: boolean
}

/**
 * The loss and accuracy of a model with given parameters on a data set, e.g.
 * for parameters loaded from a checkpoint. (Named apart from the CPU
 * backend's `evaluate`, which computes a graph's outputs from feeds.)
 *
 * @example
 * ```ts
 * const result = await evaluateModel({ model, backend: cpuBackend(), data: split.test, params })
 * ```
 * @category Evaluation
 */
export const evaluateModel = async (options: EvaluateModelOptions): Promise<E.Either<TrainError, Evaluation>> => {
  const { data } = options
  if (data.size < 1) return E.left(configError(`${data.name} has no samples to evaluate`))
  const chunk = Math.min(options.batchSize ?? Infinity, data.size)
  if (!(Number.isInteger(chunk) && chunk >= 1)) {
    return E.left(configError(`batch size must be a positive integer, got ${options.batchSize}`))
  }
  const progs = programs(options.model, options.backend, data, chunk)
  if (E.isLeft(progs)) return progs
  try {
    const params = checkParams(progs.right.specs, options.params)
    if (E.isLeft(params)) return params
    const classification = options.classification ?? data.classes !== undefined
    return (await evaluateOn(progs.right, data, params.right, chunk, classification))!
  } finally {
    await progs.right.dispose()
  }
}
