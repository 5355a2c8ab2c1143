// Loads the network cases of the reference folders (see the folders' README, §2 and §3).
import { readdirSync, readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FeedForwardSpec } from '../feedforward/spec.js'
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

/** One `feedforward-networks` case (README §3). */
export interface FeedForwardCase extends FeedForwardSpec {
  readonly id: string
  readonly x: readonly (readonly number[])[]
  readonly t: readonly (readonly number[])[]
  readonly expected: {
    readonly loss: number
    readonly outputs: readonly (readonly number[])[]
    readonly deltas: readonly (readonly number[])[]
    readonly gradients: readonly { readonly in: readonly number[]; readonly bias: number }[]
  }
}

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))

/**
 * The folders of reference cases: BACKPROP_REFERENCE_DIR, else ../shared/reference;
 * a relative path is taken from the repository root. The one place that decides where cases come from.
 */
export const referenceDirs = (): string[] =>
  [process.env['BACKPROP_REFERENCE_DIR'] ?? '../shared/reference'].map((dir) => (isAbsolute(dir) ? dir : resolve(repoRoot, dir)))

/** Every case of the given kind in every JSON file of every reference folder, ids prefixed by the file name. */
const casesOfKind = <C extends { readonly id: string }>(kind: string): C[] =>
  referenceDirs().flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .flatMap((f) => {
        const file = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { kind: string; cases: C[] }
        return file.kind === kind ? file.cases.map((c) => ({ ...c, id: `${f}: ${c.id}` })) : []
      }),
  )

/** Every `layered-networks` case. */
export const networkCases: readonly NetworkCase[] = casesOfKind<NetworkCase>('layered-networks')

/** Every `feedforward-networks` case. */
export const feedForwardCases: readonly FeedForwardCase[] = casesOfKind<FeedForwardCase>('feedforward-networks')

/** A JSON matrix (rows) as a host tensor. */
export const matrixOf = (rows: readonly (readonly number[])[]): HostTensor => ({
  shape: [rows.length, rows[0]!.length],
  data: rows.flat(),
})

/** A JSON vector as a host tensor. */
export const vectorOf = (values: readonly number[]): HostTensor => ({ shape: [values.length], data: values })
