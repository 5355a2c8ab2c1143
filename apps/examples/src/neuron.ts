import { build, emptyGraph } from '@backprop/graph'
import type { Model, Params } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'

/**
 * The activation `h` of the lecture's single neuron `y = h(w^T x)`:
 * `linear` h(a) = a (linear regression) or `logsig` h(a) = 1 / (1 + e^-a).
 *
 * @category Single neuron
 */
export type NeuronActivation = 'linear' | 'logsig'

/**
 * The lecture's single neuron as a hand-built computational graph, not a
 * layered network: for a batch of M samples (rows of the input `x`, `[M, D]`)
 * with targets `t` (`[M, 1]`) and the one parameter `w` (`[D, 1]`),
 *
 *     a = X w,   y = h(a),   E = 1/2 sum_m (y^(m) - t^(m))^2.
 *
 * There is no separate bias: as in the lecture's layered networks, the bias is
 * a weight on an input that is always 1, which the examples' data supply as
 * their first column. Any graph with `param` nodes and a scalar loss trains
 * with `train` of `@backprop/trainer`; this one shows it.
 *
 * @example
 * ```ts
 * train({ model: singleNeuron(3, 'linear'), data, params: neuronParams([0, 0, 0]), optimizer: gd({ lr: 0.01 }), ... })
 * ```
 * @category Single neuron
 */
export const singleNeuron =
  (inputs: number, h: NeuronActivation): Model =>
  (batch) => {
    const built = build(emptyGraph, (b) => {
      const x = b.input('x', [batch, inputs])
      const t = b.input('t', [batch, 1])
      const w = b.param('w', [inputs, 1])
      const a = b.matmul(x, w)
      const y = h === 'logsig' ? b.sigmoid(a) : a
      const loss = b.mul(b.scalar(0.5), b.sum(b.square(b.sub(y, t))))
      return { y, loss }
    })
    if (E.isLeft(built)) return built
    const { graph, result } = built.right
    return E.right({ graph, loss: result.loss, outputs: result.y })
  }

/**
 * The parameter set of {@link singleNeuron}: `w` as a `[D, 1]` float64 tensor.
 *
 * @category Single neuron
 */
export const neuronParams = (w: readonly number[]): Params => ({
  w: { shape: [w.length, 1], dtype: 'f64', data: Float64Array.from(w) },
})
