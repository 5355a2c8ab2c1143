import { readFileSync } from 'node:fs'
import { csvPlace, parseCsvTable } from '@backprop/data'
import { type ModelDescription, loadModelFile, type Params } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'

/** A model file with its description, as `predict` and `export` need it. */
export interface LoadedModel {
  readonly params: Params
  readonly model: ModelDescription
}

/**
 * Reads a model file written by `train --checkpoint`. A corrupt file, an
 * unknown version, or a parameter-only checkpoint of an older build (which
 * does not say what network the parameters belong to) is a one-line error.
 */
export const loadModel = (path: string): E.Either<string, LoadedModel> => {
  const file = loadModelFile(path)
  if (E.isLeft(file)) return E.left(file.left.message)
  const { params, model } = file.right
  return model === undefined
    ? E.left(`${path}: holds parameters only, without the model's architecture and feature names (an older checkpoint); train again with --checkpoint to get a model file`)
    : E.right({ params, model })
}

/**
 * The rows of a CSV file with a header, as `[rows, D]` raw values in the
 * order of the model's features: columns are found by name, others are
 * ignored. A missing column or a value that is not a number names the file,
 * line and column.
 */
export const readRows = (path: string, features: readonly string[]): E.Either<string, { rows: number; x: Float64Array }> => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    const code = (e as { code?: unknown }).code
    return E.left(`${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${e instanceof Error ? e.message : String(e)}`}`)
  }
  const table = parseCsvTable(text, path)
  if (E.isLeft(table)) return E.left(table.left.message)
  const { header, rows } = table.right
  const columns = features.map((f) => header.indexOf(f))
  const missing = features.filter((_, j) => columns[j]! < 0)
  if (missing.length > 0) {
    return E.left(`${path}: no column ${missing.map((m) => `'${m}'`).join(', ')} in the header; the model's features are ${features.join(', ')}`)
  }
  if (rows.length === 0) return E.left(`${path}: no rows after the header`)
  const D = features.length
  const x = new Float64Array(rows.length * D)
  for (let i = 0; i < rows.length; i++) {
    const record = rows[i]!
    for (let j = 0; j < D; j++) {
      const field = (record.fields[columns[j]!] ?? '').trim()
      const value = field === '' ? NaN : Number(field)
      if (!Number.isFinite(value)) {
        return E.left(`${csvPlace(path, record.fieldLines[columns[j]!] ?? record.line, columns[j]! + 1)}: '${field}' in column '${features[j]}' is not a number`)
      }
      x[i * D + j] = value
    }
  }
  return E.right({ rows: rows.length, x })
}
