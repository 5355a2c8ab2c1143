import { type GraphError, graphError, type Shape, showShape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { type Activation, isMatched, type Loss, layersProblem, lossNames, type Reduction } from './spec.js'
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

const softplus = (a: number): number => (a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)))

const sigmoid = (a: number): number => {
  if (a >= 0) return 1 / (1 + Math.exp(-a))
  const e = Math.exp(a)
  return e / (1 + e)
}

/** z = h(a) for one row of `n` units starting at `at`. */
const forwardRow = (h: Activation, a: Float64Array, z: Float64Array, at: number, n: number): void => {
  if (h === 'softmax') {
    let max = -Infinity
    for (let i = 0; i < n; i++) max = Math.max(max, a[at + i]!)
    let total = 0
    for (let i = 0; i < n; i++) total += z[at + i] = Math.exp(a[at + i]! - max)
    for (let i = 0; i < n; i++) z[at + i]! /= total
    return
  }
  for (let i = at; i < at + n; i++) {
    const v = a[i]!
    z[i] = h === 'linear' ? v : h === 'logsig' ? sigmoid(v) : h === 'tanh' ? Math.tanh(v) : v > 0 ? v : 0
  }
}

/** h'(a) from a and z = h(a), for the elementwise activations. */
const slope = (h: Exclude<Activation, 'softmax'>, a: number, z: number): number =>
  h === 'linear' ? 1 : h === 'logsig' ? z * (1 - z) : h === 'tanh' ? 1 - z * z : a > 0 ? 1 : 0

/** log y_k for one sample's row, computed stably for logsig and softmax outputs. */
const logOutputs = (h: Activation, a: Float64Array, y: Float64Array, at: number, n: number): number[] => {
  if (h === 'logsig') return Array.from({ length: n }, (_, k) => -softplus(-a[at + k]!))
  if (h === 'softmax') {
    let max = -Infinity
    for (let k = 0; k < n; k++) max = Math.max(max, a[at + k]!)
    let total = 0
    for (let k = 0; k < n; k++) total += Math.exp(a[at + k]! - max)
    const lse = max + Math.log(total)
    return Array.from({ length: n }, (_, k) => a[at + k]! - lse)
  }
  return Array.from({ length: n }, (_, k) => Math.log(y[at + k]!))
}

/** log(1 - y_k) for one sample's row; stable for logsig outputs. */
const logComplements = (h: Activation, a: Float64Array, y: Float64Array, at: number, n: number): number[] =>
  Array.from({ length: n }, (_, k) => (h === 'logsig' ? -softplus(a[at + k]!) : Math.log1p(-y[at + k]!)))

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
  let E_ = 0
  const deltaL = new Float64Array(M * K)
  for (let m = 0; m < M; m++) {
    const at = m * K
    const logY = loss === 'sse' ? [] : logOutputs(hL, aL, y, at, K)
    const log1mY = loss === 'cross-entropy' ? logComplements(hL, aL, y, at, K) : []
    const dEdy = new Array<number>(K)
    for (let k = 0; k < K; k++) {
      const [yk, tk] = [y[at + k]!, t[at + k]!]
      if (loss === 'sse') {
        E_ += 0.5 * (yk - tk) * (yk - tk)
        dEdy[k] = yk - tk
      } else if (loss === 'cross-entropy') {
        E_ -= tk * logY[k]! + (1 - tk) * log1mY[k]!
        dEdy[k] = -tk / yk + (1 - tk) / (1 - yk)
      } else {
        E_ -= tk * logY[k]!
        dEdy[k] = -tk / yk
      }
    }
    if (isMatched(hL, loss)) {
      for (let k = 0; k < K; k++) deltaL[at + k] = y[at + k]! - t[at + k]!
    } else if (hL === 'softmax') {
      // dy_k/da_j = y_k (1[k = j] - y_j), so delta_j = y_j (dE/dy_j - sum_k dE/dy_k y_k)
      let inner = 0
      for (let k = 0; k < K; k++) inner += dEdy[k]! * y[at + k]!
      for (let j = 0; j < K; j++) deltaL[at + j] = y[at + j]! * (dEdy[j]! - inner)
    } else {
      for (let k = 0; k < K; k++) deltaL[at + k] = slope(hL, aL[at + k]!, y[at + k]!) * dEdy[k]!
    }
  }
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
