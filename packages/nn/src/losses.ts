import type { Builder, NodeId } from '@backprop/graph'
import { activate } from './activations.js'
import { type Activation, isMatched, type Loss, type Reduction } from './spec.js'

/**
 * What {@link lossOf} needs: the output layer's pre-activations `a`
 * (`[M, K]`, samples as rows), its activation, the targets `t` (`[M, K]`),
 * the loss and how samples combine.
 *
 * @category Losses
 */
export interface LossInput {
  /** The output layer's pre-activations a_L. */
  readonly preActivation: NodeId
  /** The output layer's activation h_L; y = h_L(a_L). */
  readonly activation: Activation
  /** The targets, same shape as y. */
  readonly t: NodeId
  /** Which loss. */
  readonly loss: Loss
  /** `sum` (default) or `mean` over the samples (the leading axis). */
  readonly reduction?: Reduction
}

/**
 * Appends the scalar loss E of `y = h(a)` and targets `t`.
 *
 * Matched pairs are computed from `a` in stable forms whose derivative with
 * respect to `a` is exactly the lecture's `y - t`:
 * - `linear` + `sse`: `1/2 sum (a - t)^2`
 * - `logsig` + `cross-entropy`: `sum (softplus(a) - t a)`, which equals
 *   `-sum [t log y + (1 - t) log(1 - y)]` for any targets in [0, 1]
 * - `softmax` + `softmax-cross-entropy`: `sum_m logSumExp(a_m) - sum t a`,
 *   which equals `-sum t log y` when each sample's targets sum to 1 (one-hot
 *   or any distribution); for other targets it is not the cross-entropy.
 *
 * Other combinations use the loss of `y` directly, with logarithms of a
 * logsig or softmax written stably (`log sigmoid(a) = -softplus(-a)`,
 * `log softmax(a) = logSoftmax(a)`). With `mean`, the sum is divided by the
 * number of samples M.
 *
 * @example
 * ```ts
 * buildOrThrow(emptyGraph, (b) => {
 *   const a = b.input('a', [4, 3])
 *   const t = b.input('t', [4, 3])
 *   return lossOf(b, { preActivation: a, activation: 'softmax', t, loss: 'softmax-cross-entropy' })
 * })
 * ```
 * @category Losses
 */
export const lossOf = (b: Builder, input: LossInput): NodeId => {
  const { preActivation: a, activation, t, loss } = input
  const samples = b.node(t).shape[0] ?? 1
  const mean = input.reduction === 'mean'
  // The 1/2 of sse and the 1/M of a mean are one constant factor.
  const scaled = (e: NodeId, factor: number): NodeId => {
    const f = mean ? factor / samples : factor
    return f === 1 ? e : b.mul(e, b.scalarLike(f, e))
  }

  if (loss === 'sse') {
    // 1/2 sum (y - t)^2; for a linear output y is a itself.
    return scaled(b.sum(b.square(b.sub(activate(b, a, activation), t))), 0.5)
  }
  if (isMatched(activation, loss)) {
    if (loss === 'cross-entropy') {
      // -[t log s(a) + (1-t) log(1 - s(a))] = t softplus(-a) + (1-t) softplus(a) = softplus(a) - t a
      return scaled(b.sum(b.sub(b.softplus(a), b.mul(t, a))), 1)
    }
    // -sum_k t_k (a_k - lse(a)) = lse(a) sum_k t_k - sum_k t_k a_k = lse(a) - t.a when sum_k t_k = 1
    return scaled(b.sub(b.sum(b.logSumExp(a, -1)), b.sum(b.mul(t, a))), 1)
  }

  // y itself is only built where the loss needs it (hash-consing shares it with the network's output).
  const y = (): NodeId => activate(b, a, activation)
  const logY =
    activation === 'logsig'
      ? b.neg(b.softplus(b.neg(a)))
      : activation === 'softmax'
        ? b.logSoftmax(a, -1)
        : b.log(y())
  if (loss === 'softmax-cross-entropy') {
    return scaled(b.neg(b.sum(b.mul(t, logY))), 1)
  }
  // cross-entropy of an output that is not a logsig
  const one = b.scalarLike(1, a)
  const log1mY = b.log(b.sub(one, y()))
  return scaled(b.neg(b.sum(b.add(b.mul(t, logY), b.mul(b.sub(one, t), log1mY)))), 1)
}
