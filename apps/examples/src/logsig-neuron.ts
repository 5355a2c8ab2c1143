// The lecture's nonlinear neuron: y = sigma(w^T x) with the logsig
// sigma(a) = 1 / (1 + e^-a) and E = 1/2 sum_m (y^(m) - t^(m))^2, whose
// gradient the lecture derives by hand as
//     grad_w E^(m) = (y^(m) - t^(m)) y^(m) (1 - y^(m)) x^(m).
// The example trains it on a separable 2-D set and checks at one point that
// the symbolic derivative graph computes exactly that formula.
import { tensor } from '@backprop/backend'
import { cpuBackend, evaluate } from '@backprop/backend-cpu'
import { type Dataset, rng } from '@backprop/data'
import { grad } from '@backprop/diff'
import { paramsOf } from '@backprop/graph'
import { gd } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { type ExampleError, exampleError } from './errors.js'
import { neuronParams, singleNeuron } from './neuron.js'
import { paramValues, trainToEnd } from './training.js'

/**
 * Options of {@link logsigNeuron}; every field has a default.
 *
 * @category Logsig neuron
 */
export interface LogsigNeuronOptions {
  /** Number of samples (default 40). */
  readonly samples?: number
  /** Seed of the data (default 3). */
  readonly seed?: number
  /** Epochs of batch GD (default 500). */
  readonly epochs?: number
  /** Learning rate of batch GD (default 0.5). */
  readonly lr?: number
}

/**
 * The gradient of `E = 1/2 (y - t)^2` for one sample at one weight vector,
 * from the symbolic derivative graph and from the lecture's formula.
 *
 * @category Logsig neuron
 */
export interface GradientCheck {
  /** The weights, bias first. */
  readonly w: readonly number[]
  /** The sample's inputs, the bias input 1 first. */
  readonly x: readonly number[]
  /** The sample's target. */
  readonly t: number
  /** The neuron's output y = sigma(w^T x). */
  readonly y: number
  /** dE/dw computed by the graph that `grad` appends to the neuron's graph. */
  readonly symbolic: readonly number[]
  /** The lecture's `(y - t) y (1 - y) x`, computed directly in numbers. */
  readonly formula: readonly number[]
  /** The largest |symbolic_i - formula_i|. */
  readonly maxDifference: number
}

/**
 * The results of {@link logsigNeuron}.
 *
 * @category Logsig neuron
 */
export interface LogsigNeuronResult {
  /** The samples: inputs `[1, x1, x2]`, targets 0 or 1. */
  readonly data: Dataset
  /** The loss curve: E over all samples before each batch-GD step. */
  readonly curve: readonly number[]
  /** The final weights, bias first. */
  readonly w: readonly number[]
  /** The neuron's outputs y for every sample with the final weights. */
  readonly outputs: readonly number[]
  /** Samples on the right side of 0.5 (y > 0.5 exactly when t = 1). */
  readonly correct: number
  /** The symbolic gradient against the lecture's formula. */
  readonly gradientCheck: GradientCheck
  /** The learning rate of batch GD. */
  readonly lr: number
  /** Epochs (= steps) of batch GD. */
  readonly epochs: number
}

const NAME = 'logsig-neuron'

/** The decision boundary of the data: t = 1 exactly where x1 + x2 > OFFSET. */
const OFFSET = 0.25
/** No sample lies closer than this to the boundary line, so the classes are separable with a margin. */
const MARGIN = 0.1

/**
 * `samples` points `[1, x1, x2]` uniform in [-1, 1]^2, labelled 1 where
 * `x1 + x2 > 0.25` and 0 elsewhere, none within 0.1 of that line: a
 * linearly separable set with a margin, from `seed`.
 *
 * @category Logsig neuron
 */
export const separableData = (samples: number, seed: number): Dataset => {
  const next = rng(seed)
  const x = new Float64Array(samples * 3)
  const t = new Float64Array(samples)
  for (let m = 0; m < samples; ) {
    const x1 = 2 * next() - 1
    const x2 = 2 * next() - 1
    const side = (x1 + x2 - OFFSET) / Math.SQRT2 // signed distance to the line
    if (Math.abs(side) < MARGIN) continue
    x.set([1, x1, x2], 3 * m)
    t[m] = side > 0 ? 1 : 0
    m++
  }
  return { name: 'separable', size: samples, features: 3, targets: 1, x, t, classes: ['0', '1'] }
}

const sigma = (a: number): number => 1 / (1 + Math.exp(-a))

const dot = (w: readonly number[], x: ArrayLike<number>, offset = 0): number =>
  w.reduce((s, wi, i) => s + wi * x[offset + i]!, 0)

/**
 * Differentiates the neuron's graph for one sample symbolically and
 * evaluates dE/dw at `w`, next to the lecture's formula `(y - t) y (1 - y) x`.
 *
 * @category Logsig neuron
 */
export const checkGradient = (
  w: readonly number[],
  x: readonly number[],
  t: number,
): E.Either<ExampleError, GradientCheck> => {
  const built = singleNeuron(w.length, 'logsig')(1)
  if (E.isLeft(built)) return E.left(exampleError(NAME, built.left.message))
  const { graph, loss, outputs } = built.right
  const derived = grad(graph, loss, [paramsOf(graph).get('w')!])
  if (E.isLeft(derived)) return E.left(exampleError(NAME, derived.left.message))
  const feeds = {
    x: tensor(x, [1, x.length]),
    t: tensor([t], [1, 1]),
    w: tensor(w, [w.length, 1]),
  }
  const values = evaluate(derived.right.graph, [outputs!, derived.right.gradients[0]!], feeds)
  if (E.isLeft(values)) return E.left(exampleError(NAME, values.left.message))
  const [yTensor, dw] = values.right
  const symbolic = Array.from(dw!.data)
  // The lecture's formula, on numbers only: no graph involved.
  const y = sigma(dot(w, x))
  const formula = x.map((xi) => (y - t) * y * (1 - y) * xi)
  return E.right({
    w,
    x,
    t,
    y: yTensor!.data[0]!,
    symbolic,
    formula,
    maxDifference: Math.max(...symbolic.map((g, i) => Math.abs(g - formula[i]!))),
  })
}

/**
 * Trains one logsig neuron `y = sigma(w^T x)` (bias as the weight of a
 * constant input 1) with the lecture's error `E = 1/2 sum (y - t)^2` by batch
 * GD on a separable 2-D set ({@link separableData}), and checks the symbolic
 * gradient against the lecture's formula at one point ({@link checkGradient}).
 *
 * @example
 * ```ts
 * const result = await logsigNeuron()
 * if (E.isRight(result)) console.log(result.right.correct, result.right.gradientCheck.maxDifference)
 * ```
 * @category Logsig neuron
 */
export const logsigNeuron = async (options: LogsigNeuronOptions = {}): Promise<E.Either<ExampleError, LogsigNeuronResult>> => {
  const data = separableData(options.samples ?? 40, options.seed ?? 3)
  const lr = options.lr ?? 0.5
  const epochs = options.epochs ?? 500
  const trained = await trainToEnd(NAME, {
    model: singleNeuron(3, 'logsig'),
    backend: cpuBackend(),
    data,
    params: neuronParams([0, 0, 0]),
    optimizer: gd({ lr }),
    epochs,
  })
  if (E.isLeft(trained)) return trained
  const w = paramValues(trained.right.params, 'w')
  const outputs = Array.from({ length: data.size }, (_, m) => sigma(dot(w, data.x, 3 * m)))
  const correct = outputs.filter((y, m) => (y > 0.5) === (data.t[m] === 1)).length
  // A point away from both the start and the end of training, on the first sample.
  const check = checkGradient([0.3, -0.8, 1.1], Array.from(data.x.subarray(0, 3)), data.t[0]!)
  if (E.isLeft(check)) return check
  return E.right({ data, curve: trained.right.stepLosses, w, outputs, correct, gradientCheck: check.right, lr, epochs })
}
