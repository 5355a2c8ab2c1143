import { type DType, type GraphError, graphError, type Shape } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { biasName, weightName } from './names.js'
import { normal, uniform } from './random.js'
import { type Activation, layersProblem } from './spec.js'

/**
 * How weights are drawn (biases always start at zero):
 * - `glorot`: uniform in `[-r, r]` with `r = sqrt(6 / (N_in + N_out))`,
 *   variance `2 / (N_in + N_out)` (Glorot and Bengio, for logsig and tanh);
 * - `he`: normal with mean 0 and variance `2 / N_in` (He et al., for relu);
 * - `auto`: `he` for relu layers and `glorot` for all others.
 *
 * @category Initialisers
 */
export type InitScheme = 'glorot' | 'he' | 'auto'

/**
 * Options of {@link initParams}.
 *
 * @category Initialisers
 */
export interface InitOptions {
  /** The seed: the same seed and layer sizes give the same values. */
  readonly seed: number
  /** The scheme; `auto` by default. */
  readonly scheme?: InitScheme
}

/**
 * The initial value of one parameter: shaped and typed like the graph's
 * `param` node, so it can be fed to a backend as a tensor.
 *
 * @category Initialisers
 */
export interface ParamValue {
  /** The parameter's shape. */
  readonly shape: Shape
  /** `f64` (data is a Float64Array) or `f32` (a Float32Array). */
  readonly dtype: DType
  /** Row-major values. */
  readonly data: Float64Array | Float32Array
}

/**
 * The layers to initialise: sizes `[D, N_1, ..., N_L]`, one activation per
 * layer and the dtype (`f64` by default). A {@link LayeredSpec} or a
 * network's `spec` fits.
 *
 * @category Initialisers
 */
export interface InitLayers {
  /** `[D, N_1, ..., N_L]`. */
  readonly sizes: readonly number[]
  /** One activation per layer. */
  readonly activations: readonly Activation[]
  /** The element type; `f64` by default. */
  readonly dtype?: DType
}

/**
 * Seeded initial values for every parameter of a layered network, keyed by
 * name (`W1`, `b1`, `W2`, ...). Deterministic: the same layers, scheme and
 * seed always give the same numbers, on every platform. Layers are drawn in
 * order from one stream, so the values of layer l depend on the sizes of
 * layers 1..l only.
 *
 * @example
 * ```ts
 * initParams({ sizes: [784, 128, 10], activations: ['relu', 'softmax'] }, { seed: 1 })
 * // Right({ W1: [128,784] He normal, b1: zeros, W2: [10,128] Glorot uniform, b2: zeros })
 * ```
 * @category Initialisers
 */
export const initParams = (
  layers: InitLayers,
  options: InitOptions,
): E.Either<GraphError, Record<string, ParamValue>> => {
  const error = layersProblem('initParams', layers.sizes, layers.activations)
  if (error) return E.left(error)
  const scheme = options.scheme ?? 'auto'
  if (scheme !== 'glorot' && scheme !== 'he' && scheme !== 'auto') {
    return E.left(
      graphError('InvalidGraph', { path: 'scheme', message: `initParams: unknown scheme '${String(scheme)}'; expected glorot, he or auto` }),
    )
  }
  if (!Number.isFinite(options.seed)) {
    return E.left(graphError('InvalidGraph', { path: 'seed', message: `initParams: seed is ${options.seed}; it must be a finite number` }))
  }
  const dtype = layers.dtype ?? 'f64'
  const next = uniform(options.seed)
  const gauss = normal(next)
  const allocate = (n: number): Float64Array | Float32Array =>
    dtype === 'f32' ? new Float32Array(n) : new Float64Array(n)
  const out: Record<string, ParamValue> = {}
  layers.activations.forEach((h, i) => {
    const fanIn = layers.sizes[i]!
    const fanOut = layers.sizes[i + 1]!
    const W = allocate(fanOut * fanIn)
    const he = scheme === 'he' || (scheme === 'auto' && h === 'relu')
    if (he) {
      const std = Math.sqrt(2 / fanIn)
      for (let k = 0; k < W.length; k++) W[k] = std * gauss()
    } else {
      const r = Math.sqrt(6 / (fanIn + fanOut))
      for (let k = 0; k < W.length; k++) W[k] = r * (2 * next() - 1)
    }
    out[weightName(i + 1)] = { shape: [fanOut, fanIn], dtype, data: W }
    out[biasName(i + 1)] = { shape: [fanOut], dtype, data: allocate(fanOut) }
  })
  return E.right(out)
}
