import type { Shape } from '@backprop/graph'
import { biasName, weightName } from './names.js'

/**
 * Values of a tensor held in memory: a shape and row-major numbers. A
 * backend tensor fits, and so does anything {@link initParams} returns.
 *
 * @category Values
 */
export interface HostTensor {
  /** One extent per axis. */
  readonly shape: Shape
  /** The elements in row-major order. */
  readonly data: ArrayLike<number>
}

/**
 * Per-layer values, layer 1 first, keyed by the network's parameter names:
 * `[{W, b}, {W, b}]` becomes `{W1, b1, W2, b2}`. Generic in the value type,
 * so it names nested arrays (e.g. weights read from JSON) as well as
 * tensors.
 *
 * @example
 * ```ts
 * nameParams([{ W: [[1, 2]], b: [0] }]) // { W1: [[1, 2]], b1: [0] }
 * ```
 * @category Values
 */
export const nameParams = <W, B = W>(layers: readonly { readonly W: W; readonly b: B }[]): Record<string, W | B> => {
  const out: Record<string, W | B> = {}
  layers.forEach(({ W, b }, i) => {
    out[weightName(i + 1)] = W
    out[biasName(i + 1)] = b
  })
  return out
}

/**
 * The inverse of {@link nameParams} for a network of `layers` layers:
 * `{W1, b1, W2, b2}` becomes `[{W, b}, {W, b}]`, or `undefined` when a name
 * is missing.
 *
 * @category Values
 */
export const layersOf = <T>(
  named: Readonly<Record<string, T>>,
  layers: number,
): { readonly W: T; readonly b: T }[] | undefined => {
  const out: { W: T; b: T }[] = []
  for (let l = 1; l <= layers; l++) {
    const W = Object.hasOwn(named, weightName(l)) ? named[weightName(l)] : undefined
    const b = Object.hasOwn(named, biasName(l)) ? named[biasName(l)] : undefined
    if (W === undefined || b === undefined) return undefined
    out.push({ W, b })
  }
  return out
}
