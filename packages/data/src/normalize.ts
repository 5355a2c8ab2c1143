import type { Dataset, Split } from './dataset.js'

/**
 * How input features are rescaled:
 * - `none`: unchanged;
 * - `standard`: `(x - mean) / std` per feature (population standard deviation);
 * - `minmax`: `(x - min) / (max - min)` per feature, so training data lies in `[0, 1]`.
 *
 * A constant feature (std or range 0) is only shifted, never divided by zero.
 *
 * @category Normalisation
 */
export type Normalization = 'none' | 'standard' | 'minmax'

/**
 * A fitted per-feature affine map `x' = (x - offset[j]) / scale[j]`, as computed by
 * {@link fitNormalizer} from training data and applied by {@link applyNormalizer} to
 * any data with the same features (test data, new samples).
 *
 * @category Normalisation
 */
export interface Normalizer {
  /** The kind of normalisation these statistics implement. */
  readonly kind: Normalization
  /** Subtracted from each feature. */
  readonly offset: Float64Array
  /** Divides each shifted feature: the standard deviation or the range, 1 for a constant feature. */
  readonly scale: Float64Array
}

/**
 * Computes normalisation statistics of the inputs of `ds` (normally the training
 * part only, so that nothing about the test part leaks into training).
 *
 * @example
 * ```ts
 * const n = fitNormalizer(split.train, 'standard')
 * const test = applyNormalizer(split.test, n)
 * ```
 *
 * @category Normalisation
 */
export const fitNormalizer = (ds: Dataset, kind: Normalization): Normalizer => {
  const D = ds.features
  const M = ds.size
  const offset = new Float64Array(D)
  const scale = new Float64Array(D).fill(1)
  if (kind === 'none' || M === 0) return { kind, offset, scale }
  if (kind === 'standard') {
    for (let i = 0; i < M; i++) for (let j = 0; j < D; j++) offset[j]! += ds.x[i * D + j]!
    for (let j = 0; j < D; j++) offset[j]! /= M
    // Two-pass variance: exact enough and free of the cancellation of E[x^2] - E[x]^2.
    const variance = new Float64Array(D)
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < D; j++) {
        const d = ds.x[i * D + j]! - offset[j]!
        variance[j]! += d * d
      }
    }
    for (let j = 0; j < D; j++) {
      const std = Math.sqrt(variance[j]! / M)
      scale[j] = std > 0 ? std : 1
    }
  } else {
    const max = new Float64Array(D).fill(-Infinity)
    offset.fill(Infinity)
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < D; j++) {
        const v = ds.x[i * D + j]!
        if (v < offset[j]!) offset[j] = v
        if (v > max[j]!) max[j] = v
      }
    }
    for (let j = 0; j < D; j++) {
      const range = max[j]! - offset[j]!
      scale[j] = range > 0 ? range : 1
    }
  }
  return { kind, offset, scale }
}

/**
 * Applies a fitted {@link Normalizer} to the inputs of a data set, returning a new data
 * set (targets are shared, inputs are new). A `none` normaliser returns `ds` itself.
 *
 * @throws RangeError when the normaliser was fitted on a different number of features.
 *
 * @category Normalisation
 */
export const applyNormalizer = (ds: Dataset, n: Normalizer): Dataset => {
  if (n.kind === 'none') return ds
  const D = ds.features
  if (n.offset.length !== D) {
    throw new RangeError(`normaliser has ${n.offset.length} features, ${ds.name} has ${D}`)
  }
  const x = new Float64Array(ds.x.length)
  for (let i = 0; i < ds.size; i++) {
    for (let j = 0; j < D; j++) x[i * D + j] = (ds.x[i * D + j]! - n.offset[j]!) / n.scale[j]!
  }
  return { ...ds, x }
}

/**
 * A split with normalised inputs, plus the normaliser: statistics are computed on
 * the training part only and applied to both parts.
 *
 * @category Normalisation
 */
export interface NormalizedSplit extends Split {
  readonly normalizer: Normalizer
}

/**
 * Normalises both parts of a split with statistics of the training part only.
 *
 * @example
 * ```ts
 * const { train, test, normalizer } = normalizeSplit(split, 'minmax')
 * ```
 *
 * @category Normalisation
 */
export const normalizeSplit = (split: Split, kind: Normalization): NormalizedSplit => {
  const normalizer = fitNormalizer(split.train, kind)
  return {
    train: applyNormalizer(split.train, normalizer),
    test: applyNormalizer(split.test, normalizer),
    normalizer,
  }
}
