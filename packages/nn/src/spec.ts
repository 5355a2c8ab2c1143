import { type DType, type GraphError, graphError } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'

/**
 * An activation function `h`, applied elementwise to a layer's
 * pre-activations (`softmax` across each sample's units):
 * `linear` h(a) = a, `logsig` h(a) = 1/(1+e^-a), `tanh`, `relu` h(a) = max(a, 0)
 * (h'(0) = 0), and `softmax` y_k = e^{a_k} / sum_j e^{a_j}.
 *
 * @category Specs
 */
export type Activation = 'linear' | 'logsig' | 'tanh' | 'relu' | 'softmax'

/**
 * A loss of the outputs `y` and targets `t`, per element (summed or averaged
 * over samples, see {@link Reduction}):
 * `sse` 1/2 (y - t)^2; `cross-entropy` -[t log y + (1 - t) log(1 - y)]
 * (targets in [0, 1]); `softmax-cross-entropy` -t log y (one-hot targets).
 *
 * @category Specs
 */
export type Loss = 'sse' | 'cross-entropy' | 'softmax-cross-entropy'

/**
 * How per-sample losses combine: `sum` adds them all up (the lecture's E);
 * `mean` divides that sum by the number of samples M (not by M times K).
 *
 * @category Specs
 */
export type Reduction = 'sum' | 'mean'

/**
 * Every activation, in a fixed order.
 *
 * @category Specs
 */
export const activationNames: readonly Activation[] = ['linear', 'logsig', 'tanh', 'relu', 'softmax']

/**
 * Every loss, in a fixed order.
 *
 * @category Specs
 */
export const lossNames: readonly Loss[] = ['sse', 'cross-entropy', 'softmax-cross-entropy']

/**
 * A layered (fully connected, feed-forward) network: `sizes` is
 * `[D, N_1, ..., N_L]`, `activations[l-1]` is layer l's `h_l`. Samples are
 * rows: the graph's input `x` is `[batch, D]` and targets `t` are `[batch, K]`.
 *
 * @example
 * ```ts
 * const spec: LayeredSpec = {
 *   sizes: [784, 128, 10],
 *   activations: ['relu', 'softmax'],
 *   loss: 'softmax-cross-entropy',
 *   reduction: 'mean',
 *   batch: 64,
 * }
 * ```
 * @category Specs
 */
export interface LayeredSpec {
  /** `[D, N_1, ..., N_L]`: input width, then each layer's number of units. */
  readonly sizes: readonly number[]
  /** One activation per layer; `softmax` only on the last layer, with K >= 2. */
  readonly activations: readonly Activation[]
  /** The loss of the last layer's outputs. */
  readonly loss: Loss
  /** How samples combine; `sum` by default. */
  readonly reduction?: Reduction
  /** Number of samples M, part of the graph's static shapes. */
  readonly batch: number
  /** Element type of inputs and parameters; `f64` by default. */
  readonly dtype?: DType
}

/**
 * A {@link LayeredSpec} with every default filled in.
 *
 * @category Specs
 */
export type FullSpec = Required<LayeredSpec>

/**
 * True when the output activation and the loss form one of the lecture's
 * matched pairs (`linear`+`sse`, `logsig`+`cross-entropy`,
 * `softmax`+`softmax-cross-entropy`), for which dE/da_L = y - t and the
 * loss is computed in a stable form directly from the pre-activations.
 *
 * @category Specs
 */
export const isMatched = (activation: Activation, loss: Loss): boolean =>
  (activation === 'linear' && loss === 'sse') ||
  (activation === 'logsig' && loss === 'cross-entropy') ||
  (activation === 'softmax' && loss === 'softmax-cross-entropy')

const specError = (path: string, message: string): GraphError =>
  graphError('InvalidGraph', { path, message: `layered: ${message}` })

const isPositiveInt = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 1

/**
 * The first thing wrong with a list of layer sizes and activations, or
 * undefined. `who` prefixes the message (the function being called).
 * @internal
 */
export const layersProblem = (who: string, sizes: unknown, activations: unknown): GraphError | undefined => {
  const fail = (path: string, message: string): GraphError =>
    graphError('InvalidGraph', { path, message: `${who}: ${message}` })
  if (!Array.isArray(sizes) || sizes.length < 2) {
    return fail('sizes', 'sizes must list the input width and at least one layer, e.g. [2, 3, 1]')
  }
  const badSize = sizes.findIndex((n) => !isPositiveInt(n))
  if (badSize >= 0) {
    return fail(`sizes[${badSize}]`, `sizes[${badSize}] is ${String(sizes[badSize])}; sizes must be positive integers`)
  }
  const layers = sizes.length - 1
  if (!Array.isArray(activations) || activations.length !== layers) {
    const got = Array.isArray(activations) ? activations.length : 0
    return fail('activations', `sizes [${sizes.join(',')}] describe ${layers} layer(s) but ${got} activation(s) are given`)
  }
  const unknown = activations.findIndex((h) => !activationNames.includes(h as Activation))
  if (unknown >= 0) {
    return fail(
      `activations[${unknown}]`,
      `unknown activation '${String(activations[unknown])}' for layer ${unknown + 1}; expected one of ${activationNames.join(', ')}`,
    )
  }
  const hiddenSoftmax = activations.findIndex((h, i) => h === 'softmax' && i < layers - 1)
  if (hiddenSoftmax >= 0) {
    return fail(`activations[${hiddenSoftmax}]`, `softmax is allowed on the last layer only, not on layer ${hiddenSoftmax + 1}`)
  }
  if (activations[layers - 1] === 'softmax' && sizes[layers] < 2) {
    return fail(`sizes[${layers}]`, `a softmax output needs at least 2 units, got ${sizes[layers]}`)
  }
  return undefined
}

/** The first thing wrong with a spec, or undefined. */
const problem = (spec: LayeredSpec): GraphError | undefined => {
  const layers = layersProblem('layered', spec.sizes, spec.activations)
  if (layers) return layers
  if (!lossNames.includes(spec.loss)) {
    return specError('loss', `unknown loss '${String(spec.loss)}'; expected one of ${lossNames.join(', ')}`)
  }
  if (spec.reduction !== undefined && spec.reduction !== 'sum' && spec.reduction !== 'mean') {
    return specError('reduction', `unknown reduction '${String(spec.reduction)}'; expected sum or mean`)
  }
  if (!isPositiveInt(spec.batch)) {
    return specError('batch', `batch is ${String(spec.batch)}; it must be a positive integer`)
  }
  if (spec.dtype !== undefined && spec.dtype !== 'f32' && spec.dtype !== 'f64') {
    return specError('dtype', `unknown dtype '${String(spec.dtype)}'; expected f32 or f64`)
  }
  return undefined
}

/**
 * Checks a spec and fills in its defaults (`reduction: 'sum'`,
 * `dtype: 'f64'`), or returns the first problem as a one-line error
 * (`_tag: 'InvalidGraph'`, `path` naming the offending field).
 *
 * @example
 * ```ts
 * validateSpec({ sizes: [2, 3], activations: [], loss: 'sse', batch: 1 })
 * // Left: "layered: sizes [2,3] describe 1 layer(s) but 0 activation(s) are given"
 * ```
 * @category Specs
 */
export const validateSpec = (spec: LayeredSpec): E.Either<GraphError, FullSpec> => {
  const error = problem(spec)
  if (error) return E.left(error)
  return E.right({
    sizes: [...spec.sizes],
    activations: [...spec.activations],
    loss: spec.loss,
    reduction: spec.reduction ?? 'sum',
    batch: spec.batch,
    dtype: spec.dtype ?? 'f64',
  })
}
