import type { Tensor } from '@backprop/backend'
import type { Optimizer, StepInfo, Stepped, UpdateGraph } from '../optimizer.js'
import { mapParams, type Params, zerosOf } from '../params.js'
import { type LearningRate, rateAt } from '../schedule.js'

/**
 * Options of {@link sgd} and {@link gd}.
 *
 * @category Optimisers
 */
export interface SgdOptions {
  /** The learning rate eta, or a schedule for it. */
  readonly lr: LearningRate
}

/** `w - eta * g`, elementwise, into a new array of w's class. @internal */
export const descend = (w: Tensor, g: Tensor, eta: number): Tensor => {
  const data = zerosOf(w.dtype, w.data.length)
  for (let i = 0; i < data.length; i++) data[i] = w.data[i]! - eta * g.data[i]!
  return { shape: w.shape, dtype: w.dtype, data }
}

/**
 * Mini-batch stochastic gradient descent, the lecture's update
 * `w <- w - eta * grad E(w)` with E the loss of one mini-batch. With batch
 * size 1 it is the lecture's stochastic GD, one sample per update. It keeps
 * no state. Its graph form is `w - lr * g` per parameter, with `lr` a
 * scalar input fed every step.
 *
 * @example
 * ```ts
 * train({ ..., optimizer: sgd({ lr: 0.05 }), batchSize: 32 })
 * ```
 * @category Optimisers
 */
export const sgd = (options: SgdOptions): Optimizer<null> => {
  const update = (state: null, params: Params, grads: Params, { step, epoch }: StepInfo): Stepped<null> => {
    const eta = rateAt(options.lr, step, epoch)
    return { params: mapParams(params, (w, name) => descend(w, grads[name]!, eta)), state }
  }
  const updateGraph: UpdateGraph<null> = {
    mirrors: update,
    append: (b, params, inputs) => ({
      // the same operations as `descend`: w - (eta * g)
      updates: params.map((p) => ({ param: p.name, value: b.sub(p.node, b.mul(inputs.scalar('lr', b.node(p.node).dtype), p.grad)) })),
      scalars: ({ step, epoch }) => ({ lr: rateAt(options.lr, step, epoch) }),
    }),
  }
  return { name: 'sgd', fullBatch: false, init: () => null, step: update, updateGraph }
}

/**
 * Batch (full-batch) gradient descent: the update of {@link sgd}, with the
 * trainer feeding the whole training set as one batch, so each step follows
 * the gradient of the error over all M samples.
 *
 * @category Optimisers
 */
export const gd = (options: SgdOptions): Optimizer<null> => ({ ...sgd(options), name: 'gd', fullBatch: true })
