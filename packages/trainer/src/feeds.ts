import type { Feeds, Tensor } from '@backprop/backend'
import type { Batch, BatchArray } from '@backprop/data'
import type { Params } from './params.js'
import type { StepInfo } from './optimizer.js'
import type { DType } from '@backprop/graph'
import type { Program, Programs, UpdateProgram } from './compile-cache.js'
import type { FeedShape } from './model-inputs.js'

/**
 * The array of each batch input whose batches come in another dtype,
 * refilled at every run: a run has read its feeds by the time it resolves,
 * and the next run of the same program is only prepared after that.
 */
const converted = new WeakMap<FeedShape, BatchArray>()

const feed = (spec: FeedShape, values: BatchArray): Tensor => {
  if ((spec.dtype === 'f32') === values instanceof Float32Array) return { shape: spec.shape, dtype: spec.dtype, data: values }
  let data = converted.get(spec)
  if (data === undefined || data.length !== values.length) {
    data = spec.dtype === 'f32' ? new Float32Array(values.length) : new Float64Array(values.length)
    converted.set(spec, data)
  }
  data.set(values)
  return { shape: spec.shape, dtype: spec.dtype, data }
}

/**
 * The dtype to draw batches in for `progs`: the model's (its first
 * parameter's), so that a float32 model's batches need no conversion.
 *
 * @internal
 */
export const batchDType = (progs: Pick<Programs, 'specs'>): DType => progs.specs.values().next().value?.dtype ?? 'f64'

/**
 * The feeds of one run of `program`: the batch's samples and targets, and
 * every parameter by name (or, for an in-place program, its per-step
 * scalars).
 *
 * @internal
 */
export const feedsFor = (program: Pick<Program, 'x' | 't'>, batch: Pick<Batch<BatchArray>, 'x' | 't'>, params: Params): Feeds => {
  const feeds: Record<string, Tensor> = { ...params, [program.x.name]: feed(program.x, batch.x) }
  if (program.t !== undefined) feeds[program.t.name] = feed(program.t, batch.t)
  return feeds
}

/**
 * The scalar inputs of an in-place program at one step, each rounded to
 * its dtype.
 *
 * @internal
 */
export const scalarFeeds = (program: UpdateProgram, info: StepInfo): Params => {
  const values = program.values(info)
  const feeds: Record<string, Tensor> = {}
  for (const { name, key, dtype } of program.scalars) {
    const v = values[key]
    if (typeof v !== 'number') throw new Error(`the optimiser's update graph gives no value for its scalar '${key}'`)
    feeds[name] = { shape: [], dtype, data: dtype === 'f32' ? Float32Array.of(v) : Float64Array.of(v) }
  }
  return feeds
}

/**
 * Tallies `n` predictions: the class of each prediction row of `y` against
 * the class of its target row of `t` (K values per row) is counted into
 * `confusion[true][predicted]`, and the matches are returned. A row's class
 * is its arg-max (the first maximum wins); for K = 1 it is 1 when the value
 * is at least 0.5 and 0 otherwise, so `confusion` is C x C with C = max(K, 2).
 * `onMiss` hears of each wrong prediction by its row.
 *
 * @internal
 */
export const tallyPredictions = (
  y: ArrayLike<number>,
  t: ArrayLike<number>,
  n: number,
  K: number,
  confusion: number[][],
  onMiss: (row: number, actual: number, predicted: number) => void = () => undefined,
): number => {
  let correct = 0
  for (let i = 0; i < n; i++) {
    let by = 0
    let bt = 0
    if (K === 1) {
      by = y[i]! >= 0.5 ? 1 : 0
      bt = t[i]! >= 0.5 ? 1 : 0
    } else {
      for (let k = 1; k < K; k++) {
        if (y[i * K + k]! > y[i * K + by]!) by = k
        if (t[i * K + k]! > t[i * K + bt]!) bt = k
      }
    }
    confusion[bt]![by]! += 1
    if (by === bt) correct += 1
    else onMiss(i, bt, by)
  }
  return correct
}
