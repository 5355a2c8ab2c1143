import type { DType, Graph, GraphError, Shape } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { allocate, drawWeights, optionsProblem } from './init-draw.js'
import { initGraphParams } from './init-graph.js'
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
 * Seeded initial values for every parameter, keyed by name: of a layered
 * network (`W1`, `b1`, `W2`, ...) or of any graph (every `param` node).
 * Deterministic: the same layers or graph, scheme and seed always give the
 * same numbers, on every platform.
 *
 * Layered: layers are drawn in order from one stream, so the values of
 * layer l depend on the sizes of layers 1..l only; biases start at zero.
 *
 * Any graph: parameters are drawn in node order from their shapes and
 * dtypes. Rank 0 and 1 (biases, scales) start at zero; higher ranks by the
 * scheme, with fans from the shape: a matrix is read as `[out, in]` (`W x`,
 * as in the layered networks) unless the graph multiplies by it from the
 * right (`x W`, `[in, out]`), and further axes (a kernel's) multiply both
 * fans. `auto` picks He for a weight whose product (past bias adds and
 * reshapes) feeds a relu, Glorot otherwise.
 *
 * @example
 * ```ts
 * initParams({ sizes: [784, 128, 10], activations: ['relu', 'softmax'] }, { seed: 1 })
 * // Right({ W1: [128,784] He normal, b1: zeros, W2: [10,128] Glorot uniform, b2: zeros })
 * const { graph } = buildOrThrow(emptyGraph, (b) => b.tanh(b.matmul(b.input('x', [8, 4]), b.param('W', [4, 16]))))
 * initParams(graph, { seed: 1 }) // Right({ W: [4,16] Glorot uniform, fan-in 4, fan-out 16 })
 * ```
 * @category Initialisers
 */
export function initParams(layers: InitLayers, options: InitOptions): E.Either<GraphError, Record<string, ParamValue>>
export function initParams(graph: Graph, options: InitOptions): E.Either<GraphError, Record<string, ParamValue>>
export function initParams(of: InitLayers | Graph, options: InitOptions): E.Either<GraphError, Record<string, ParamValue>> {
  if ('nodes' in of) return initGraphParams(of, options)
  const layers = of
  const error = layersProblem('initParams', layers.sizes, layers.activations) ?? optionsProblem(options)
  if (error) return E.left(error)
  const scheme = options.scheme ?? 'auto'
  const dtype = layers.dtype ?? 'f64'
  const next = uniform(options.seed)
  const gauss = normal(next)
  const out: Record<string, ParamValue> = {}
  layers.activations.forEach((h, i) => {
    const fanIn = layers.sizes[i]!
    const fanOut = layers.sizes[i + 1]!
    const W = allocate(dtype, fanOut * fanIn)
    drawWeights(W, fanIn, fanOut, scheme === 'he' || (scheme === 'auto' && h === 'relu'), next, gauss)
    out[weightName(i + 1)] = { shape: [fanOut, fanIn], dtype, data: W }
    out[biasName(i + 1)] = { shape: [fanOut], dtype, data: allocate(dtype, fanOut) }
  })
  return E.right(out)
}
