import { type Activation, isMatched, type Loss } from './spec.js'

// Scalar pieces of the lecture's delta rule, shared by the layered and the
// general reference (delta-rule.ts, feedforward/delta-rule.ts). Plain float64
// arithmetic: nothing here touches graphs or differentiation.

/** log(1 + e^a), without overflow for large a. @internal */
export const softplus = (a: number): number => (a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)))

/** 1 / (1 + e^-a), without overflow for large |a|. @internal */
export const sigmoid = (a: number): number => {
  if (a >= 0) return 1 / (1 + Math.exp(-a))
  const e = Math.exp(a)
  return e / (1 + e)
}

/** An activation other than softmax, which acts on one unit at a time. @internal */
export type Elementwise = Exclude<Activation, 'softmax'>

/** z = h(a) for one unit. @internal */
export const activateOne = (h: Elementwise, a: number): number =>
  h === 'linear' ? a : h === 'logsig' ? sigmoid(a) : h === 'tanh' ? Math.tanh(a) : a > 0 ? a : 0

/** h'(a) from a and z = h(a), for the elementwise activations (relu'(0) = 0). @internal */
export const slope = (h: Elementwise, a: number, z: number): number =>
  h === 'linear' ? 1 : h === 'logsig' ? z * (1 - z) : h === 'tanh' ? 1 - z * z : a > 0 ? 1 : 0

/** Writes softmax(a[at..at+n)) into z[at..at+n). @internal */
export const softmaxRow = (a: ArrayLike<number>, z: Float64Array, at: number, n: number): void => {
  let max = -Infinity
  for (let i = 0; i < n; i++) max = Math.max(max, a[at + i]!)
  let total = 0
  for (let i = 0; i < n; i++) total += z[at + i] = Math.exp(a[at + i]! - max)
  for (let i = 0; i < n; i++) z[at + i]! /= total
}

/** log y_k for an output with pre-activation a and value y, stably for logsig and softmax. */
const logOutput = (h: Activation, a: number, y: number, lse: number): number =>
  h === 'logsig' ? -softplus(-a) : h === 'softmax' ? a - lse : Math.log(y)

/** log(1 - y_k); stable for logsig outputs. */
const logComplement = (h: Activation, a: number, y: number): number => (h === 'logsig' ? -softplus(a) : Math.log1p(-y))

/**
 * One sample's share of the loss and its output errors delta_k = dE/da_k,
 * for K outputs starting at `at` whose activations are `hs[k]` (softmax on
 * all of them or none). Matched pairs give delta = y - t; other pairs follow
 * the chain rule through h' (the softmax's Jacobian for softmax). Writes the
 * deltas into `delta[at..at+K)` and returns the sample's loss.
 * @internal
 */
export const outputErrors = (
  hs: readonly Activation[],
  loss: Loss,
  a: ArrayLike<number>,
  y: ArrayLike<number>,
  t: ArrayLike<number>,
  at: number,
  delta: Float64Array,
): number => {
  const K = hs.length
  const softmax = hs[0] === 'softmax'
  let lse = 0
  if (softmax) {
    let max = -Infinity
    for (let k = 0; k < K; k++) max = Math.max(max, a[at + k]!)
    let total = 0
    for (let k = 0; k < K; k++) total += Math.exp(a[at + k]! - max)
    lse = max + Math.log(total)
  }
  let e = 0
  const dEdy = new Array<number>(K)
  for (let k = 0; k < K; k++) {
    const [h, ak, yk, tk] = [hs[k]!, a[at + k]!, y[at + k]!, t[at + k]!]
    if (loss === 'sse') {
      e += 0.5 * (yk - tk) * (yk - tk)
      dEdy[k] = yk - tk
    } else if (loss === 'cross-entropy') {
      e -= tk * logOutput(h, ak, yk, lse) + (1 - tk) * logComplement(h, ak, yk)
      dEdy[k] = -tk / yk + (1 - tk) / (1 - yk)
    } else {
      e -= tk * logOutput(h, ak, yk, lse)
      dEdy[k] = -tk / yk
    }
  }
  if (softmax) {
    if (isMatched('softmax', loss)) {
      for (let k = 0; k < K; k++) delta[at + k] = y[at + k]! - t[at + k]!
    } else {
      // dy_k/da_j = y_k (1[k = j] - y_j), so delta_j = y_j (dE/dy_j - sum_k dE/dy_k y_k)
      let inner = 0
      for (let k = 0; k < K; k++) inner += dEdy[k]! * y[at + k]!
      for (let j = 0; j < K; j++) delta[at + j] = y[at + j]! * (dEdy[j]! - inner)
    }
    return e
  }
  for (let k = 0; k < K; k++) {
    const h = hs[k] as Elementwise
    delta[at + k] = isMatched(h, loss) ? y[at + k]! - t[at + k]! : slope(h, a[at + k]!, y[at + k]!) * dEdy[k]!
  }
  return e
}
