import type { Dataset } from './dataset.js'
import { mixSeed, permutation } from './random.js'

/**
 * The array type of a batch: float64 like the data set (the default), or
 * float32 for a float32 model (see {@link BatchOptions.dtype}).
 *
 * @category Batching
 */
export type BatchArray = Float32Array | Float64Array

/**
 * A mini-batch: `size` samples copied out of a data set, row-major like
 * {@link Dataset}. The arrays are fresh copies that belong to the receiver
 * (unless {@link BatchOptions.reuse}).
 *
 * @category Batching
 */
export interface Batch<A extends BatchArray = Float64Array> {
  /** Inputs, `size * features` numbers, row-major. */
  readonly x: A
  /** Targets, `size * targets` numbers, row-major. */
  readonly t: A
  /** Number of samples in this batch; the last batch of an epoch may be smaller. */
  readonly size: number
  /** 0-based position of this batch within its epoch. */
  readonly index: number
  /** The data set indices of the samples in this batch, in batch order. */
  readonly indices: Uint32Array
}

/**
 * Options of {@link batches}.
 *
 * @category Batching
 */
export interface BatchOptions {
  /**
   * Seed of the run. When given, the samples are shuffled for every epoch with a
   * permutation derived from `(seed, epoch)`; when absent, batches follow the data
   * set's order.
   */
  readonly seed?: number
  /** The epoch number, mixed into the seed so each epoch has its own order. Default 0. */
  readonly epoch?: number
  /** Leave out a last batch that would be smaller than `batchSize`. Default false. */
  readonly dropLast?: boolean
  /**
   * Fill the same two arrays for every batch of an iteration instead of
   * fresh ones: a batch's `x` and `t` are overwritten when the iteration
   * moves on to the next. For a consumer that is done with each batch by
   * then, such as a training loop: at MNIST sizes that saves allocating
   * megabytes per step, and the garbage collections that follow. Default
   * false.
   */
  readonly reuse?: boolean
  /**
   * With {@link BatchOptions.reuse}, put the two arrays in a
   * `SharedArrayBuffer` (where the host has one), so that worker threads
   * can read the batches where they are drawn, without a copy. Default
   * false: a plain buffer, which the same thread copies from fastest.
   */
  readonly shared?: boolean
  /**
   * The element type of the batches: `'f64'` (the default), or `'f32'`,
   * whose rows are copied from a float32 copy of the data set (made once per
   * data set object, which is therefore not to be changed afterwards), so
   * that a float32 model gets its batches without converting every step.
   * The values are the data set's rounded to float32 either way.
   */
  readonly dtype?: 'f32' | 'f64'
}

/** Float32 copies of data sets, for batches of dtype f32; data sets are not changed once made. */
const float32Copies = new WeakMap<Dataset, { readonly x: Float32Array; readonly t: Float32Array }>()

const float32Of = (ds: Dataset): { readonly x: Float32Array; readonly t: Float32Array } => {
  let copy = float32Copies.get(ds)
  if (copy === undefined) {
    copy = { x: Float32Array.from(ds.x), t: Float32Array.from(ds.t) }
    float32Copies.set(ds, copy)
  }
  return copy
}

const checkBatchSize = (batchSize: number): void => {
  if (!(batchSize >= 1 && (Number.isInteger(batchSize) || batchSize === Infinity))) {
    throw new RangeError(`batch size must be a positive integer or Infinity, got ${batchSize}`)
  }
}

/**
 * The number of batches {@link batches} yields for `size` samples.
 *
 * @throws RangeError when `batchSize` is not a positive integer or `Infinity`.
 *
 * @category Batching
 */
export const batchCount = (size: number, batchSize: number, dropLast = false): number => {
  checkBatchSize(batchSize)
  if (batchSize === Infinity) return size > 0 ? 1 : 0
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize)
}

/**
 * The order in which {@link batches} visits the samples of one epoch: a permutation
 * of `0 .. size-1` derived from `(seed, epoch)`, or the identity when `seed` is
 * `undefined`.
 *
 * @category Batching
 */
export const epochOrder = (size: number, seed: number | undefined, epoch = 0): Uint32Array => {
  if (seed === undefined) {
    const order = new Uint32Array(size)
    for (let i = 0; i < size; i++) order[i] = i
    return order
  }
  return permutation(size, mixSeed(seed, epoch))
}

/**
 * Splits one epoch of a data set into mini-batches of `batchSize` samples (the last
 * one may be smaller, unless `dropLast`). Every sample appears exactly once per epoch.
 *
 * With a `seed`, the order is shuffled by a permutation derived from `(seed, epoch)`:
 * the same seed and epoch always give the same batches, and different epochs give
 * different orders, so a training run is reproducible from its seed. `batchSize`
 * `Infinity` (or any size at least the data set's) gives one full batch.
 *
 * The result can be iterated many times and yields the same batches each time. The
 * data set is never changed; every batch holds fresh copies, unless `reuse` asks for
 * one pair of arrays refilled for each batch.
 *
 * @throws RangeError when `batchSize` is not a positive integer or `Infinity` (check
 * user input before calling).
 *
 * @example
 * ```ts
 * for (let epoch = 1; epoch <= epochs; epoch++) {
 *   for (const batch of batches(train, 32, { seed, epoch })) {
 *     step(batch.x, batch.t, batch.size)
 *   }
 * }
 * ```
 *
 * @category Batching
 */
export function batches(ds: Dataset, batchSize: number, opts?: BatchOptions & { readonly dtype?: 'f64' }): Iterable<Batch>
/** {@link batches} with `dtype: 'f32'`: batches of Float32Arrays. */
export function batches(ds: Dataset, batchSize: number, opts: BatchOptions & { readonly dtype: 'f32' }): Iterable<Batch<Float32Array>>
/** {@link batches} with a dtype known only at run time. */
export function batches(ds: Dataset, batchSize: number, opts?: BatchOptions): Iterable<Batch<BatchArray>>
export function batches(ds: Dataset, batchSize: number, opts: BatchOptions = {}): Iterable<Batch<BatchArray>> {
  checkBatchSize(batchSize)
  const { features: D, targets: K, size: M } = ds
  const per = Math.min(batchSize, Math.max(M, 1))
  const count = batchCount(M, per, opts.dropLast ?? false)
  return {
    *[Symbol.iterator](): Iterator<Batch<BatchArray>> {
      const source = opts.dtype === 'f32' ? float32Of(ds) : ds
      const make = (n: number): BatchArray => (opts.dtype === 'f32' ? new Float32Array(n) : new Float64Array(n))
      const inShared = (n: number): BatchArray =>
        opts.dtype === 'f32' ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float64Array(new SharedArrayBuffer(n * 8))
      const makeReused = opts.shared && typeof SharedArrayBuffer === 'function' ? inShared : make
      const order = epochOrder(M, opts.seed, opts.epoch ?? 0)
      const shared = opts.reuse ? { x: makeReused(per * D), t: makeReused(per * K) } : undefined
      for (let b = 0; b < count; b++) {
        const start = b * per
        const indices = order.slice(start, Math.min(M, start + per))
        const n = indices.length
        const x = shared ? shared.x.subarray(0, n * D) : make(n * D)
        const t = shared ? shared.t.subarray(0, n * K) : make(n * K)
        for (let r = 0; r < n; r++) {
          const i = indices[r]!
          x.set(source.x.subarray(i * D, i * D + D), r * D)
          t.set(source.t.subarray(i * K, i * K + K), r * K)
        }
        yield { x, t, size: n, index: b, indices }
      }
    },
  }
}
