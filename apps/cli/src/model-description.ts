import type { Split } from '@backprop/data'
import type { Architecture } from '@backprop/nn'
import type { ModelDescription } from '@backprop/trainer'
import type { TrainSettings } from './training.js'

/**
 * What `--checkpoint` writes beside the parameters, so the file describes
 * the model on its own: the architecture, dtype, the scaling fitted on the
 * training part (raw features in, as the CSV holds them), the feature and
 * class (or target) names, and the training settings.
 */
export const describeModel = (s: TrainSettings, split: Split, architecture: Architecture): ModelDescription => {
  const { train } = split
  const normalizer = 'normalizer' in split ? (split as Split & { normalizer: { kind: string; offset: Float64Array; scale: Float64Array } }).normalizer : undefined
  return {
    architecture,
    dtype: s.dtype,
    features: train.featureNames ?? Array.from({ length: train.features }, (_, j) => `x${j + 1}`),
    ...(train.classes ? { classes: train.classes } : train.targetNames ? { targets: train.targetNames } : {}),
    ...(normalizer && normalizer.kind !== 'none' ? { scaling: { offset: Array.from(normalizer.offset), scale: Array.from(normalizer.scale) } } : {}),
    training: { ...s },
  }
}
