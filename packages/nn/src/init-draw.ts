// What the initialisers of layered specs and of any graph share: option
// checks and the draws of one weight tensor.
import { type DType, type GraphError, graphError } from '@backprop/graph'
import type { InitOptions } from './init.js'

/**
 * Why `options` cannot be used (an unknown scheme, a seed that is not a
 * finite number), or `undefined`. @internal
 */
export const optionsProblem = (options: InitOptions): GraphError | undefined => {
  const scheme = options.scheme ?? 'auto'
  if (scheme !== 'glorot' && scheme !== 'he' && scheme !== 'auto') {
    return graphError('InvalidGraph', { path: 'scheme', message: `initParams: unknown scheme '${String(scheme)}'; expected glorot, he or auto` })
  }
  if (!Number.isFinite(options.seed)) {
    return graphError('InvalidGraph', { path: 'seed', message: `initParams: seed is ${options.seed}; it must be a finite number` })
  }
  return undefined
}

/**
 * Fills `W` from the stream: He normal (variance `2 / fanIn`) when `he`,
 * Glorot uniform (`r = sqrt(6 / (fanIn + fanOut))`) otherwise. @internal
 */
export const drawWeights = (W: Float64Array | Float32Array, fanIn: number, fanOut: number, he: boolean, next: () => number, gauss: () => number): void => {
  if (he) {
    const std = Math.sqrt(2 / fanIn)
    for (let k = 0; k < W.length; k++) W[k] = std * gauss()
  } else {
    const r = Math.sqrt(6 / (fanIn + fanOut))
    for (let k = 0; k < W.length; k++) W[k] = r * (2 * next() - 1)
  }
}

/** A zero-filled array of `n` elements of `dtype`. @internal */
export const allocate = (dtype: DType, n: number): Float64Array | Float32Array =>
  dtype === 'f32' ? new Float32Array(n) : new Float64Array(n)
