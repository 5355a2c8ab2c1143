import type { Tensor } from '@backprop/backend'
import { type DType, showShape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync } from 'node:fs'
import { type AtomicIo, nodeIo, writeAtomic } from './atomic-write.js'
import { checkpointError, type TrainError } from './errors.js'
import { decodeDescription, encodeDescription, MODEL_FORMAT, MODEL_VERSION, type ModelDescription } from './model-file.js'
import { firstNonFinite, type Params } from './params.js'

/**
 * The `format` field of a checkpoint file.
 *
 * @category Checkpoints
 */
export const CHECKPOINT_FORMAT = 'backprop-params'

/**
 * The checkpoint format version this package writes and reads.
 *
 * @category Checkpoints
 */
export const CHECKPOINT_VERSION = 1

/**
 * Serialises parameters to the checkpoint format, one JSON object:
 *
 * ```json
 * { "format": "backprop-params", "version": 1,
 *   "params": { "W1": { "shape": [3, 2], "dtype": "f64", "data": [0.5, -1.25, ...] }, ... } }
 * ```
 *
 * `data` holds the row-major values as JSON numbers, which round-trip
 * exactly for float64 and float32 alike. Parameters are written in key
 * order. Only finite values can be written (JSON has no NaN).
 *
 * @category Checkpoints
 */
export const encodeParams = (params: Params, model?: ModelDescription): string => {
  const entries = Object.keys(params).map((name) => {
    const p = params[name]!
    return `${JSON.stringify(name)}:{"shape":${JSON.stringify(p.shape)},"dtype":${JSON.stringify(p.dtype)},"data":[${Array.from(p.data).join(',')}]}`
  })
  const head = model ? encodeDescription(model) : `"format":${JSON.stringify(CHECKPOINT_FORMAT)},"version":${CHECKPOINT_VERSION}`
  return `{${head},"params":{${entries.join(',')}}}\n`
}

/**
 * What a checkpoint or model file holds: the parameters, and for a
 * self-describing model file (written with a {@link ModelDescription}) the
 * description too.
 *
 * @category Checkpoints
 */
export interface ModelFile {
  /** The parameter values by name. */
  readonly params: Params
  /** The model's architecture, dtype, names and scaling; absent in a parameter-only file. */
  readonly model?: ModelDescription
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

const decodeParam = (name: string, raw: unknown): E.Either<string, Tensor> => {
  if (!isRecord(raw)) return E.left(`parameter '${name}' is not an object with shape, dtype and data`)
  const { shape, dtype, data } = raw
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    return E.left(`parameter '${name}' has no valid shape (a list of non-negative integers)`)
  }
  if (dtype !== 'f32' && dtype !== 'f64') {
    return E.left(`parameter '${name}' has dtype ${JSON.stringify(dtype)}; expected "f32" or "f64"`)
  }
  if (!Array.isArray(data) || !data.every((v) => typeof v === 'number')) {
    return E.left(`parameter '${name}' has no data (a list of numbers)`)
  }
  const dims = shape as number[]
  if (data.length !== sizeOf(dims)) {
    return E.left(`parameter '${name}' holds ${data.length} values but shape ${showShape(dims)} needs ${sizeOf(dims)}`)
  }
  const values = (dtype as DType) === 'f32' ? Float32Array.from(data as number[]) : Float64Array.from(data as number[])
  const bad = firstNonFinite(values)
  if (bad !== undefined) return E.left(`parameter '${name}' element ${bad} is not finite in float32`)
  return E.right({ shape: dims, dtype, data: values })
}

/**
 * Parses and validates a file written by {@link encodeParams}: a
 * self-describing model file, or a parameter-only checkpoint of the older
 * format; `source` (a path) names it in error messages. Anything malformed
 * (bad JSON, an unknown format or version, an architecture that does not
 * build, a shape that the data does not fill, a value that is not a finite
 * number) is a `CheckpointError`, never a partial result.
 *
 * @category Checkpoints
 */
export const decodeModelFile = (text: string, source: string): E.Either<TrainError, ModelFile> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return E.left(checkpointError(source, `not a model file: invalid JSON (${e instanceof Error ? e.message : String(e)})`))
  }
  const format = isRecord(json) ? json['format'] : undefined
  if (!isRecord(json) || (format !== CHECKPOINT_FORMAT && format !== MODEL_FORMAT)) {
    return E.left(checkpointError(source, `not a model file: expected "format": "${MODEL_FORMAT}" (or "${CHECKPOINT_FORMAT}")`))
  }
  const version = format === MODEL_FORMAT ? MODEL_VERSION : CHECKPOINT_VERSION
  if (json['version'] !== version) {
    return E.left(
      checkpointError(source, `unsupported ${format} version ${JSON.stringify(json['version'])}; this build reads version ${version}`),
    )
  }
  const model = format === MODEL_FORMAT ? decodeDescription(json, source) : undefined
  if (model !== undefined && E.isLeft(model)) return model
  const raw = json['params']
  if (!isRecord(raw)) return E.left(checkpointError(source, 'the file has no "params" object'))
  const out: Record<string, Tensor> = {}
  for (const name of Object.keys(raw)) {
    const p = decodeParam(name, raw[name])
    if (E.isLeft(p)) return E.left(checkpointError(source, p.left))
    out[name] = p.right
  }
  return E.right(model === undefined ? { params: out } : { params: out, model: model.right })
}

/**
 * The parameters of a checkpoint or model file (see {@link decodeModelFile}).
 *
 * @category Checkpoints
 */
export const decodeParams = (text: string, source: string): E.Either<TrainError, Params> =>
  E.map((file: ModelFile) => file.params)(decodeModelFile(text, source))

/**
 * Options of {@link saveParams}.
 *
 * @category Checkpoints
 */
export interface SaveOptions {
  /** The file operations to use; the real file system by default. */
  readonly io?: AtomicIo
  /** Write a self-describing model file: this description with the parameters. */
  readonly model?: ModelDescription
}

/**
 * Writes parameters to `path` in the checkpoint format, atomically: the file
 * is written to a temporary name in the same directory, flushed to disk and
 * then renamed over `path`, so a crash mid-write leaves the previous
 * checkpoint intact. Resolves to `path`, or to a `CheckpointError` (also
 * for parameters holding NaN or infinities, which are never written).
 *
 * @example
 * ```ts
 * const saved = await saveParams('model.json', params)
 * ```
 * @category Checkpoints
 */
export const saveParams = async (
  path: string,
  params: Params,
  options: SaveOptions = {},
): Promise<E.Either<TrainError, string>> => {
  for (const name of Object.keys(params)) {
    const bad = firstNonFinite(params[name]!.data)
    if (bad !== undefined) {
      return E.left(checkpointError(path, `not written: parameter '${name}' element ${bad} is ${params[name]!.data[bad]}`))
    }
  }
  const failure = await writeAtomic(path, encodeParams(params, options.model), options.io ?? nodeIo)
  return failure === undefined ? E.right(path) : E.left(checkpointError(path, `cannot write the checkpoint: ${failure}`))
}

/**
 * Reads and validates a model file or checkpoint written by
 * {@link saveParams}. A missing, unreadable or corrupt file is a
 * `CheckpointError` whose message names the path and the problem.
 *
 * @example
 * ```ts
 * const file = loadModelFile('model.json') // Right({ params, model }) or Left(error)
 * ```
 * @category Checkpoints
 */
export const loadModelFile = (path: string): E.Either<TrainError, ModelFile> => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    const code = (e as { code?: unknown }).code
    return E.left(checkpointError(path, code === 'ENOENT' ? 'no such file' : `cannot read: ${e instanceof Error ? e.message : String(e)}`))
  }
  return decodeModelFile(text, path)
}

/**
 * The parameters of a model file or checkpoint (see {@link loadModelFile}).
 *
 * @example
 * ```ts
 * const params = loadParams('model.json') // Right({ W1, b1, ... }) or Left(error)
 * ```
 * @category Checkpoints
 */
export const loadParams = (path: string): E.Either<TrainError, Params> => E.map((file: ModelFile) => file.params)(loadModelFile(path))
