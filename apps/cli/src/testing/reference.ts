// Types the reference case files of CONTRACT.md §3 (found by @backprop/graph/testing/reference) for the cli's tests.
import { referenceFiles } from '@backprop/graph/testing/reference'
import type { FeedForwardSpec } from '@backprop/nn'

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

/** Every reference file (see `referenceFiles`), typed by its kind. An unknown kind is an error, not a silent skip. */
export const loadReference = (files = referenceFiles()): ReferenceFile[] =>
  files.map(({ name, kind, cases }) => {
    if (!kinds.includes(kind)) throw new Error(`${name}: unknown kind '${kind}'`)
    return { file: name, kind, cases } as ReferenceFile
  })

/** CONTRACT.md's tolerance: |actual - expected| <= 1e-9 |expected| + 1e-12. */
export const close = (actual: number, expected: number): boolean =>
  Math.abs(actual - expected) <= 1e-9 * Math.abs(expected) + 1e-12
