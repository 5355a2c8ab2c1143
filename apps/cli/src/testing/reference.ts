// Loads the reference case folders of CONTRACT.md §3 for the tests.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FeedForwardSpec } from '@backprop/nn'

/** The repository root, found from this file's location (apps/cli/src/testing). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')

/**
 * The folders of reference cases: `BACKPROP_REFERENCE_DIR` (relative paths are
 * taken from the repository root, since test runners change directory), or
 * `../shared/reference` beside the repository. The one place that decides
 * where cases come from.
 */
export const referenceDirs = (): string[] =>
  [process.env['BACKPROP_REFERENCE_DIR'] ?? '../shared/reference'].map((dir) => (isAbsolute(dir) ? dir : resolve(repoRoot, dir)))

/** One point of a scalar-expression case. */
export interface ScalarPoint {
  readonly at: Readonly<Record<string, number>>
  readonly value: number
  readonly gradient: Readonly<Record<string, number>>
  readonly hessian: Readonly<Record<string, Readonly<Record<string, number>>>>
}

/** A `scalar-expressions` case. */
export interface ScalarCase {
  readonly id: string
  readonly expr: string
  readonly vars: readonly string[]
  readonly points: readonly ScalarPoint[]
  readonly derivatives?: Readonly<Record<string, string>>
}

/** A `layered-networks` case. */
export interface NetworkCase {
  readonly id: string
  readonly sizes: readonly number[]
  readonly activations: readonly string[]
  readonly loss: string
  readonly weights: readonly { readonly W: number[][]; readonly b: number[] }[]
  readonly x: number[][]
  readonly t: number[][]
  readonly expected: {
    readonly loss: number
    readonly outputs: number[][]
    readonly gradients: readonly { readonly W: number[][]; readonly b: number[] }[]
  }
}

/** A `feedforward-networks` case: a general network, a batch and what it computes. */
export interface FeedForwardCase extends FeedForwardSpec {
  readonly id: string
  readonly x: number[][]
  readonly t: number[][]
  readonly expected: {
    readonly loss: number
    readonly outputs: number[][]
    readonly deltas: number[][]
    readonly gradients: readonly { readonly in: number[]; readonly bias: number }[]
  }
}

/** A reference file, dispatched on its `kind`. */
export type ReferenceFile =
  | { readonly file: string; readonly kind: 'scalar-expressions'; readonly cases: readonly ScalarCase[] }
  | { readonly file: string; readonly kind: 'layered-networks'; readonly cases: readonly NetworkCase[] }
  | { readonly file: string; readonly kind: 'feedforward-networks'; readonly cases: readonly FeedForwardCase[] }

const kinds: readonly string[] = ['scalar-expressions', 'layered-networks', 'feedforward-networks'] satisfies ReferenceFile['kind'][]

/** Every `*.json` file of every folder, in name order. An unknown kind is an error, not a silent skip. */
export const loadReference = (dirs = referenceDirs()): ReferenceFile[] =>
  dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => {
        const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { kind: string; cases: unknown[] }
        if (!kinds.includes(data.kind)) throw new Error(`${file}: unknown kind '${data.kind}'`)
        return { file, ...data } as ReferenceFile
      }),
  )

/** CONTRACT.md's tolerance: |actual - expected| <= 1e-9 |expected| + 1e-12. */
export const close = (actual: number, expected: number): boolean =>
  Math.abs(actual - expected) <= 1e-9 * Math.abs(expected) + 1e-12
