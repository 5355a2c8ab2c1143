import type { DType } from '@backprop/graph'
import { type Architecture, decodeArchitecture, type InputScaling, shapeOf } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { checkpointError, type TrainError } from './errors.js'

/**
 * The `format` field of a self-describing model file.
 *
 * @category Checkpoints
 */
export const MODEL_FORMAT = 'backprop-model'

/**
 * The model file version this package writes and reads.
 *
 * @category Checkpoints
 */
export const MODEL_VERSION = 1

/**
 * Everything about a trained model except its parameter values: what a
 * model file holds beside them, so the file alone can be applied to new
 * rows (`predict`) or exported (`export`).
 *
 * @category Checkpoints
 */
export interface ModelDescription {
  /** The network, without parameter values. */
  readonly architecture: Architecture
  /** The element type of its parameters and computations. */
  readonly dtype: DType
  /** The input features' names, in the order of the network's inputs. */
  readonly features: readonly string[]
  /** Class names, one per output, for a classifier. */
  readonly classes?: readonly string[]
  /** Target names, one per output, for a regression. */
  readonly targets?: readonly string[]
  /** The input scaling fitted on the training data, applied to raw features first. */
  readonly scaling?: InputScaling
  /** How it was trained (optimiser, learning rate, data set, ...), for the record. */
  readonly training?: Readonly<Record<string, unknown>>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)
const isStrings = (u: unknown): u is string[] => Array.isArray(u) && u.every((s) => typeof s === 'string')
const isNumbers = (u: unknown): u is number[] => Array.isArray(u) && u.every((v) => typeof v === 'number' && Number.isFinite(v))

/**
 * The description's fields as JSON text (the part of a model file before
 * `"params"`), in a fixed order.
 */
export const encodeDescription = (d: ModelDescription): string =>
  [
    `"format":${JSON.stringify(MODEL_FORMAT)}`,
    `"version":${MODEL_VERSION}`,
    `"architecture":${JSON.stringify(d.architecture)}`,
    `"dtype":${JSON.stringify(d.dtype)}`,
    `"features":${JSON.stringify(d.features)}`,
    ...(d.classes ? [`"classes":${JSON.stringify(d.classes)}`] : []),
    ...(d.targets ? [`"targets":${JSON.stringify(d.targets)}`] : []),
    ...(d.scaling ? [`"scaling":${JSON.stringify(d.scaling)}`] : []),
    ...(d.training ? [`"training":${JSON.stringify(d.training)}`] : []),
  ].join(',')

/**
 * Reads and checks the description fields of a parsed model file; `source`
 * names the file in error messages.
 */
export const decodeDescription = (json: Record<string, unknown>, source: string): E.Either<TrainError, ModelDescription> => {
  const fail = (what: string) => E.left(checkpointError(source, what))
  const architecture = decodeArchitecture(json['architecture'])
  if (E.isLeft(architecture)) return fail(architecture.left.message)
  const { features: D, outputs: K } = shapeOf(architecture.right)
  const { dtype, features, classes, targets, scaling, training } = json
  if (dtype !== 'f32' && dtype !== 'f64') return fail(`"dtype" is ${JSON.stringify(dtype)}; expected "f32" or "f64"`)
  if (!isStrings(features) || features.length !== D) return fail(`"features" must list the ${D} input features' names`)
  if (classes !== undefined && (!isStrings(classes) || classes.length !== K)) return fail(`"classes" must list ${K} class names`)
  if (targets !== undefined && (!isStrings(targets) || targets.length !== K)) return fail(`"targets" must list ${K} target names`)
  if (scaling !== undefined) {
    const ok = isRecord(scaling) && isNumbers(scaling['offset']) && isNumbers(scaling['scale'])
    if (!ok || (scaling['offset'] as number[]).length !== D || (scaling['scale'] as number[]).length !== D || (scaling['scale'] as number[]).includes(0)) {
      return fail(`"scaling" must hold ${D} finite offsets and ${D} non-zero finite scales`)
    }
  }
  if (training !== undefined && !isRecord(training)) return fail('"training" must be an object')
  return E.right({
    architecture: architecture.right,
    dtype,
    features,
    ...(classes !== undefined ? { classes: classes as string[] } : {}),
    ...(targets !== undefined ? { targets: targets as string[] } : {}),
    ...(scaling !== undefined ? { scaling: scaling as unknown as InputScaling } : {}),
    ...(training !== undefined ? { training: training as Record<string, unknown> } : {}),
  })
}
