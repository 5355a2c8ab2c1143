// Loads the layered-network cases of the reference folder (see the folder's README, §2).
import { readdirSync, readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Activation, Loss } from '../spec.js'
import type { HostTensor } from '../values.js'

/** Per-layer weights as JSON nests them. */
export interface NestedLayer {
  readonly W: readonly (readonly number[])[]
  readonly b: readonly number[]
}

/** One `layered-networks` case. */
export interface NetworkCase {
  readonly id: string
  readonly sizes: readonly number[]
  readonly activations: readonly Activation[]
  readonly loss: Loss
  readonly weights: readonly NestedLayer[]
  readonly x: readonly (readonly number[])[]
  readonly t: readonly (readonly number[])[]
  readonly expected: {
    readonly loss: number
    readonly outputs: readonly (readonly number[])[]
    readonly gradients: readonly NestedLayer[]
  }
}

// BACKPROP_REFERENCE_DIR, else ../shared/reference; a relative path is taken from the repository root.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const referenceDir = ((dir: string) => (isAbsolute(dir) ? dir : resolve(repoRoot, dir)))(
  process.env['BACKPROP_REFERENCE_DIR'] ?? '../shared/reference',
)

/** Every `layered-networks` case of every JSON file in the folder, ids prefixed by the file name. */
export const networkCases: readonly NetworkCase[] = readdirSync(referenceDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => {
    const file = JSON.parse(readFileSync(join(referenceDir, f), 'utf8')) as { kind: string; cases: NetworkCase[] }
    return file.kind === 'layered-networks' ? file.cases.map((c) => ({ ...c, id: `${f}: ${c.id}` })) : []
  })

/** A JSON matrix (rows) as a host tensor. */
export const matrixOf = (rows: readonly (readonly number[])[]): HostTensor => ({
  shape: [rows.length, rows[0]!.length],
  data: rows.flat(),
})

/** A JSON vector as a host tensor. */
export const vectorOf = (values: readonly number[]): HostTensor => ({ shape: [values.length], data: values })
