import type { Optimizer } from '../optimizer.js'
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

/**
 * Mini-batch stochastic gradient descent, the lecture's update
 * `w <- w - eta * grad E(w)` with E the loss of one mini-batch. With batch
 * size 1 it is the lecture's stochastic GD, one sample per update. It keeps
 * no state; `eta` is a scalar input fed every step, so a schedule needs no
 * recompilation.
 *
 * @example
 * ```ts
 * train({ ..., optimizer: sgd({ lr: 0.05 }), batchSize: 32 })
 * ```
 * @category Optimisers
 */
export const sgd = (options: SgdOptions): Optimizer => ({
  name: 'sgd',
  fullBatch: false,
  append: (b, params, inputs) => ({
    // w - (eta * g)
    updates: params.map((p) => ({ param: p.name, value: b.sub(p.node, b.mul(inputs.scalar('lr', b.node(p.node).dtype), p.grad)) })),
    scalars: ({ step, epoch }) => ({ lr: rateAt(options.lr, step, epoch) }),
  }),
})

/**
 * Batch (full-batch) gradient descent: the update of {@link sgd}, with the
 * trainer feeding the whole training set as one batch, so each step follows
 * the gradient of the error over all M samples.
 *
 * @category Optimisers
 */
export const gd = (options: SgdOptions): Optimizer => ({ ...sgd(options), name: 'gd', fullBatch: true })
