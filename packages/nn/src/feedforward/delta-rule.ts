import { type GraphError, graphError } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { activateOne, type Elementwise, outputErrors, slope, softmaxRow } from '../delta-rule-math.js'
import type { Activation, Reduction } from '../spec.js'
import type { HostTensor } from '../values.js'
import { type FeedForwardSpec, sourceOf, validateFeedForward, weightOf } from './spec.js'

// The lecture's backprop for general feed-forward networks, unit by unit
// and sample by sample in plain float64 loops. It shares nothing with the
// graph builder or symbolic differentiation (not even the grouping of units
// into tensors), so it is an independent reference for both.

/**
 * What {@link feedForwardDeltaRule} computes on: a spec with every weight
 * given, a batch `x` (`[M, D]`) and targets `t` (`[M, K]`).
 *
 * @category Reference
 */
export interface FeedForwardDeltaRuleInput {
  /** The network; every edge must carry its weight. */
  readonly spec: FeedForwardSpec
  /** Inputs, one sample per row. */
  readonly x: HostTensor
  /** Targets, one sample per row, columns in the order of `spec.outputs`. */
  readonly t: HostTensor
  /** `sum` (default) or `mean` over samples. */
  readonly reduction?: Reduction
}

/**
 * What {@link feedForwardDeltaRule} returns, in the shapes of the reference
 * kind `feedforward-networks`.
 *
 * @category Reference
 */
export interface FeedForwardDeltaRuleResult {
  /** The loss E. */
  readonly loss: number
  /** y, M rows of K values. */
  readonly outputs: number[][]
  /** delta_i = dE/da_i, M rows with one entry per unit of `spec.units`. */
  readonly deltas: number[][]
  /** Per unit: dE/dw_ij for each `in` entry in order, and dE/db_i, summed over samples. */
  readonly gradients: { readonly in: number[]; readonly bias: number }[]
}

const problem = (input: FeedForwardDeltaRuleInput): GraphError | undefined => {
  const fail = (path: string, message: string) => graphError('ShapeError', { op: 'feedForwardDeltaRule', message: `${path}: ${message}` })
  const { spec, x, t } = input
  const unweighted = spec.units.findIndex((u) => u.in.some((e) => weightOf(e) === undefined))
  if (unweighted >= 0) return fail(`units[${unweighted}]`, `unit ${spec.inputs + 1 + unweighted} has an edge without a weight`)
  if (x.shape.length !== 2 || x.shape[1] !== spec.inputs || x.data.length !== x.shape[0]! * spec.inputs) {
    return fail('x', `x must be [M, ${spec.inputs}], got shape [${x.shape.join(', ')}]`)
  }
  const [M, K] = [x.shape[0]!, spec.outputs.length]
  if (t.shape.length !== 2 || t.shape[0] !== M || t.shape[1] !== K || t.data.length !== M * K) {
    return fail('t', `t must be [${M}, ${K}], got shape [${t.shape.join(', ')}]`)
  }
  return undefined
}

/**
 * The lecture's backpropagation for general feed-forward networks:
 * 1. forward pass: z_i = x_i for the inputs, then unit by unit
 *    a_i = sum_{j in pre(i)} w_ij z_j + b_i and z_i = h_i(a_i), y_k = z_{out_k};
 * 2. output errors: delta_out = y - t for the matched pairs, the chain rule
 *    through h' (or the softmax's Jacobian) otherwise;
 * 3. backward pass, units in reverse order:
 *    delta_i = h_i'(a_i) sum_{k in post(i)} w_ki delta_k;
 * 4. gradients: dE/dw_ij = delta_i z_j and dE/db_i = delta_i, summed over samples.
 *
 * @example
 * ```ts
 * feedForwardDeltaRule({
 *   spec: { inputs: 1, units: [{ activation: 'linear', in: [[1, 2]] }], outputs: [2], loss: 'sse' },
 *   x: { shape: [1, 1], data: [3] }, t: { shape: [1, 1], data: [5] },
 * }) // Right: loss 0.5, deltas [[1]], gradients [{ in: [3], bias: 1 }]
 * ```
 * @category Reference
 */
export const feedForwardDeltaRule = (
  input: FeedForwardDeltaRuleInput,
): E.Either<GraphError, FeedForwardDeltaRuleResult> => {
  const checked = validateFeedForward(input.spec)
  if (E.isLeft(checked)) return checked
  const bad = problem(input)
  if (bad) return E.left(bad)
  const { spec, x, t } = input
  const { inputs: D, units, outputs, loss } = spec
  const [M, U, K] = [x.shape[0]!, units.length, outputs.length]
  const N = D + U + 1 // unit numbers 1..D+U index these rows directly
  const scale = input.reduction === 'mean' ? 1 / M : 1
  const outputActivations: Activation[] = outputs.map((o) => units[o - D - 1]!.activation)

  let E_ = 0
  const ys: number[][] = []
  const deltas: number[][] = []
  const gradients = units.map((u) => ({ in: new Array<number>(u.in.length).fill(0), bias: 0 }))
  const a = new Float64Array(N)
  const z = new Float64Array(N)
  const delta = new Float64Array(N)
  const aOut = new Float64Array(K)
  const yOut = new Float64Array(K)
  const deltaOut = new Float64Array(K)
  const tOut = new Float64Array(K)
  const isOutput = new Uint8Array(N)
  for (const o of outputs) isOutput[o] = 1
  for (let m = 0; m < M; m++) {
    // (1) forward pass
    for (let i = 1; i <= D; i++) z[i] = x.data[m * D + i - 1]!
    units.forEach((u, j) => {
      const i = D + 1 + j
      let s = u.bias ?? 0
      for (const e of u.in) s += weightOf(e)! * z[sourceOf(e)]!
      a[i] = s
      if (u.activation !== 'softmax') z[i] = activateOne(u.activation, s)
    })
    outputs.forEach((o, k) => (aOut[k] = a[o]!))
    if (outputActivations[0] === 'softmax') softmaxRow(aOut, yOut, 0, K)
    else outputs.forEach((o, k) => (yOut[k] = z[o]!))
    outputs.forEach((o, k) => (z[o] = yOut[k]!))
    ys.push(Array.from(yOut))

    // (2) output errors
    for (let k = 0; k < K; k++) tOut[k] = t.data[m * K + k]!
    E_ += outputErrors(outputActivations, loss, aOut, yOut, tOut, 0, deltaOut)
    delta.fill(0)
    outputs.forEach((o, k) => (delta[o] = deltaOut[k]! * scale))

    // (3) backward pass: a unit's delta is complete once every later unit has passed its share back
    for (let j = U - 1; j >= 0; j--) {
      const i = D + 1 + j
      const u = units[j]!
      // an output's delta is its output error already; a hidden unit's sum is scaled by h'
      if (!isOutput[i]) delta[i]! *= slope(u.activation as Elementwise, a[i]!, z[i]!)
      for (const e of u.in) {
        const s = sourceOf(e)
        if (s > D) delta[s]! += weightOf(e)! * delta[i]! // summed before the source's own h' is applied
      }
      // (4) gradients
      gradients[j]!.bias += delta[i]!
      u.in.forEach((e, k) => (gradients[j]!.in[k]! += delta[i]! * z[sourceOf(e)]!))
    }
    deltas.push(Array.from(delta.subarray(D + 1)))
  }
  return E.right({ loss: E_ * scale, outputs: ys, deltas, gradients })
}
