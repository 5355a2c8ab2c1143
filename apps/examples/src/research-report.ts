import { tensor } from '@backprop/backend'
import { orThrow } from '@backprop/graph'
import { deltaRule, initParams } from '@backprop/nn'
import type { DoneEvent, EpochEvent } from '@backprop/trainer'
import { deltas342 } from './deltas.js'
import { fixed, vector } from './report.js'

/**
 * The report of the `newton` example: each iterate.
 *
 * @category Reports
 */
export const reportNewton = (xs: readonly (readonly number[])[]): string[] => [
  ...xs.map((x, k) => `x${k} = ${vector(x, 12)}`),
  `minimum of Rosenbrock's function at (1, 1): reached in ${xs.length - 1} Newton steps`,
]

/**
 * The report of the `skip-l2` example: the loss and its parts every 50
 * epochs, and at the final parameters.
 *
 * @category Reports
 */
export const reportSkipL2 = ({ epochs, done }: { epochs: readonly EpochEvent[]; done: DoneEvent }): string[] => [
  ...epochs
    .filter((e) => e.epoch % 50 === 0 || e.epoch === 1)
    .map((e) => `epoch ${e.epoch}: loss ${fixed(e.trainLoss)} = mse ${fixed(e.metrics!.mse)} + l2 ${fixed(e.metrics!.l2)}`),
  `final parameters: loss ${fixed(done.finalTrainLoss!)}, mse ${fixed(done.finalMetrics!.mse)}, l2 ${fixed(done.finalMetrics!.l2)}`,
]

/**
 * The `deltas` example on four samples with seeded weights: each layer's
 * deltas from the gradient graph, and their largest difference from the
 * delta rule and (at the output) from y - t.
 *
 * @category Reports
 */
export const reportDeltas = (): string[] => {
  const activations = ['logsig', 'logsig', 'softmax'] as const
  const p = orThrow(initParams({ sizes: [3, 5, 4, 2], activations }, { seed: 3 }))
  const x = tensor([0.5, -1, 2, 0.1, 0.2, -0.3, -1.5, 1, 0, 0.7, 0.7, -0.7], [4, 3])
  const t = tensor([1, 0, 0, 1, 0, 1, 1, 0], [4, 2])
  const { grad, aux } = deltas342(4)({ x, t, ...p })
  const weights = [1, 2, 3].map((l) => ({ W: p[`W${l}`]!, b: p[`b${l}`]! }))
  const reference = orThrow(deltaRule({ weights, x, t, activations, loss: 'softmax-cross-entropy', reduction: 'sum' }))
  const ours = [grad.d1, grad.d2, grad.d3]
  const gap = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, k) => Math.abs(v - b[k]!)))
  return [
    ...ours.map((d, l) => `delta${l + 1} of sample 1 = ${vector(Array.from(d.data.slice(0, d.shape[1])))}`),
    `largest difference from the delta rule: ${ours.map((d, l) => gap(d.data, reference.deltas[l]!.data).toExponential(1)).join(', ')}`,
    `largest difference of delta3 from y - t: ${gap(grad.d3.data, aux.y.data.map((y, k) => y - t.data[k]!)).toExponential(1)}`,
  ]
}
