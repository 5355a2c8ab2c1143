import { type GraphError, graphError, type Shape, showShape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { activateOne, outputErrors, slope, softmaxRow } from './delta-rule-math.js'
import { type Activation, type Loss, layersProblem, lossNames, type Reduction } from './spec.js'
import type { HostTensor } from './values.js'

// The lecture's explicit backprop for layered networks, written as plain
// loops over Float64Arrays. It shares no code with graph building or
// symbolic differentiation (only the spec checks and error type), so that it
// can serve as an independent reference for them.

/**
 * What {@link deltaRule} computes on: the weights of each layer, a batch of
 * samples (rows of `x`, `[M, D]`) with targets (`t`, `[M, K]`), the
 * activations and the loss.
 *
 * @category Reference
 */
export interface DeltaRuleInput {
  /** Layer 1 first: W_l is `[N_l, N_{l-1}]`, b_l is `[N_l]`. */
  readonly weights: readonly { readonly W: HostTensor; readonly b: HostTensor }[]
  /** Inputs, one sample per row. */
  readonly x: HostTensor
  /** Targets, one sample per row. */
  readonly t: HostTensor
  /** h_l for each layer. */
  readonly activations: readonly Activation[]
  /** The loss. */
  readonly loss: Loss
  /** `sum` (default) or `mean` over samples. */
  readonly reduction?: Reduction
}

/**
 * A tensor computed by {@link deltaRule}.
 *
 * @category Reference
 */
export interface Float64Tensor {
  /** One extent per axis. */
  readonly shape: Shape
  /** Row-major values. */
  readonly data: Float64Array
}

/**
 * What {@link deltaRule} returns: the loss E, the outputs y, the errors
 * delta_l = dE/da_l of every layer and the parameter gradients.
 *
 * @category Reference
 */
export interface DeltaRuleResult {
  /** The loss E. */
  readonly loss: number
  /** y = z_L, `[M, K]`. */
  readonly outputs: Float64Tensor
  /** delta_l for each layer, `[M, N_l]`, layer 1 first. */
  readonly deltas: readonly Float64Tensor[]
  /** dE/dW_l and dE/db_l, summed over samples, layer 1 first. */
  readonly gradients: readonly { readonly W: Float64Tensor; readonly b: Float64Tensor }[]
}

/** z = h(a) for one row of `n` units starting at `at`. */
const forwardRow = (h: Activation, a: Float64Array, z: Float64Array, at: number, n: number): void => {
  if (h === 'softmax') return softmaxRow(a, z, at, n)
  for (let i = at; i < at + n; i++) z[i] = activateOne(h, a[i]!)
}

const shapeError = (message: string): GraphError => graphError('ShapeError', { op: 'deltaRule', message: `deltaRule: ${message}` })

const matrixProblem = (what: string, v: HostTensor, shape: Shape): GraphError | undefined => {
  if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
    return shapeError(`${what} has shape ${showShape(v.shape)} but ${showShape(shape)} is needed`)
  }
  if (v.data.length !== sizeOf(shape)) {
    return shapeError(`${what} has ${v.data.length} values but shape ${showShape(shape)} needs ${sizeOf(shape)}`)
  }
  return undefined
}

/** The layer sizes the input implies, or the first inconsistency. */
const checkInput = (input: DeltaRuleInput): E.Either<GraphError, number[]> => {
  const { x, t, weights } = input
  if (x.shape.length !== 2) return E.left(shapeError(`x must be a matrix [M, D], got shape ${showShape(x.shape)}`))
  const M = x.shape[0]!
  if (weights.length === 0) return E.left(shapeError('no layers given'))
  const notMatrix = weights.findIndex(({ W }) => W.shape.length !== 2)
  if (notMatrix >= 0) {
    const shape = showShape(weights[notMatrix]!.W.shape)
    return E.left(shapeError(`W${notMatrix + 1} must be a matrix [N_${notMatrix + 1}, N_${notMatrix}], got shape ${shape}`))
  }
  const sizes = [x.shape[1]!, ...weights.map(({ W }) => W.shape[0]!)]
  const problems = [
    matrixProblem('x', x, [M, sizes[0]!]),
    ...weights.flatMap(({ W, b }, i) => [
      matrixProblem(`W${i + 1}`, W, [sizes[i + 1]!, sizes[i]!]),
      matrixProblem(`b${i + 1}`, b, [sizes[i + 1]!]),
    ]),
    matrixProblem('t', t, [M, sizes[sizes.length - 1]!]),
    layersProblem('deltaRule', sizes, input.activations),
  ]
  const first = problems.find((p) => p !== undefined)
  if (first) return E.left(first)
  if (!lossNames.includes(input.loss)) {
    return E.left(
      graphError('InvalidGraph', {
        path: 'loss',
        message: `deltaRule: unknown loss '${String(input.loss)}'; expected one of ${lossNames.join(', ')}`,
      }),
    )
  }
  if (input.reduction !== undefined && input.reduction !== 'sum' && input.reduction !== 'mean') {
    return E.left(
      graphError('InvalidGraph', {
        path: 'reduction',
        message: `deltaRule: unknown reduction '${String(input.reduction)}'; expected sum or mean`,
      }),
    )
  }
  return E.right(sizes)
}

/**
 * The lecture's backpropagation for layered networks, as an independent
 * reference for symbolic gradients:
 * 1. forward pass: z_0 = x, a_l = W_l z_{l-1} + b_l, z_l = h_l(a_l), y = z_L;
 * 2. output errors: delta_L = y - t for the matched pairs (linear + sse,
 *    logsig + cross-entropy, softmax + softmax-cross-entropy), otherwise
 *    the chain rule dE/dy through h_L' (the softmax's Jacobian for softmax);
 * 3. backward pass: delta_l = h_l'(a_l) ⊙ W_{l+1}^T delta_{l+1};
 * 4. gradients: dE/dW_l = delta_l z_{l-1}^T and dE/db_l = delta_l, summed
 *    over the samples.
 *
 * Plain loops in float64, independent of graphs and of differentiation.
 * With `mean`, the loss and every delta are divided by M.
 *
 * @example
 * ```ts
 * const r = deltaRule({
 *   weights: [{ W: { shape: [1, 2], data: [0.5, -1] }, b: { shape: [1], data: [0] } }],
 *   x: { shape: [1, 2], data: [1, 2] },
 *   t: { shape: [1, 1], data: [0] },
 *   activations: ['linear'],
 *   loss: 'sse',
 * })
 * // Right: loss 1.125, gradients[0].W = [[-1.5, -3]]
 * ```
 * @category Reference
 */
export const deltaRule = (input: DeltaRuleInput): E.Either<GraphError, DeltaRuleResult> => {
  const checked = checkInput(input)
  if (E.isLeft(checked)) return checked
  const sizes = checked.right
  const { weights, activations: hs, loss } = input
  const M = input.x.shape[0]!
  const L = hs.length
  const K = sizes[L]!
  const scale = input.reduction === 'mean' ? 1 / M : 1

  // (1) forward pass
  const A: Float64Array[] = []
  const Z: Float64Array[] = [Float64Array.from(input.x.data)]
  for (let l = 1; l <= L; l++) {
    const [n, nIn] = [sizes[l]!, sizes[l - 1]!]
    const W = weights[l - 1]!.W.data
    const bias = weights[l - 1]!.b.data
    const zIn = Z[l - 1]!
    const a = new Float64Array(M * n)
    const z = new Float64Array(M * n)
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < n; i++) {
        let s = bias[i]!
        for (let j = 0; j < nIn; j++) s += W[i * nIn + j]! * zIn[m * nIn + j]!
        a[m * n + i] = s
      }
      forwardRow(hs[l - 1]!, a, z, m * n, n)
    }
    A.push(a)
    Z.push(z)
  }
  const aL = A[L - 1]!
  const y = Z[L]!
  const t = input.t.data
  const hL = hs[L - 1]!

  // the loss, and (2) the output errors delta_L = dE/da_L
  const outputActivations = new Array<Activation>(K).fill(hL)
  let E_ = 0
  const deltaL = new Float64Array(M * K)
  for (let m = 0; m < M; m++) E_ += outputErrors(outputActivations, loss, aL, y, t, m * K, deltaL)
  for (let i = 0; i < deltaL.length; i++) deltaL[i]! *= scale

  // (3) backward pass and (4) gradients
  const deltas: Float64Array[] = new Array<Float64Array>(L)
  deltas[L - 1] = deltaL
  const gradients: { W: Float64Tensor; b: Float64Tensor }[] = new Array(L)
  for (let l = L; l >= 1; l--) {
    const [n, nIn] = [sizes[l]!, sizes[l - 1]!]
    const delta = deltas[l - 1]!
    const zIn = Z[l - 1]!
    const gW = new Float64Array(n * nIn)
    const gb = new Float64Array(n)
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < n; i++) {
        const d = delta[m * n + i]!
        gb[i]! += d
        for (let j = 0; j < nIn; j++) gW[i * nIn + j]! += d * zIn[m * nIn + j]!
      }
    }
    gradients[l - 1] = { W: { shape: [n, nIn], data: gW }, b: { shape: [n], data: gb } }
    if (l === 1) break
    const h = hs[l - 2] as Exclude<Activation, 'softmax'> // softmax is last-layer only
    const W = weights[l - 1]!.W.data
    const below = new Float64Array(M * nIn)
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < nIn; j++) {
        let s = 0
        for (let i = 0; i < n; i++) s += W[i * nIn + j]! * delta[m * n + i]!
        below[m * nIn + j] = slope(h, A[l - 2]![m * nIn + j]!, zIn[m * nIn + j]!) * s
      }
    }
    deltas[l - 2] = below
  }

  return E.right({
    loss: E_ * scale,
    outputs: { shape: [M, K], data: y },
    deltas: deltas.map((d, i) => ({ shape: [M, sizes[i + 1]!], data: d })),
    gradients,
  })
}
