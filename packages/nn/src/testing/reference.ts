// Loads the network cases of the reference folders (see the folders' README, §2 and §3).
import { referenceCases } from '@backprop/graph/testing/reference'
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

/** Every `layered-networks` case. */
export const networkCases: readonly NetworkCase[] = referenceCases<NetworkCase>('layered-networks')

/** Every `feedforward-networks` case. */
export const feedForwardCases: readonly FeedForwardCase[] = referenceCases<FeedForwardCase>('feedforward-networks')

/** A JSON matrix (rows) as a host tensor. */
export const matrixOf = (rows: readonly (readonly number[])[]): HostTensor => ({
  shape: [rows.length, rows[0]!.length],
  data: rows.flat(),
})

/** A JSON vector as a host tensor. */
export const vectorOf = (values: readonly number[]): HostTensor => ({ shape: [values.length], data: values })
