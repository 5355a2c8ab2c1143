import type { Optimizer } from '../optimizer.js'
import { type LearningRate, rateAt } from '../schedule.js'

/**
 * Options of {@link momentum}.
 *
 * @category Optimisers
 */
export interface MomentumOptions {
  /** The learning rate eta, or a schedule for it. */
  readonly lr: LearningRate
  /** The momentum coefficient mu in `[0, 1)`. Default 0.9. */
  readonly beta?: number
}

/**
 * Gradient descent with (classical, heavy-ball) momentum:
 * `v <- mu * v - eta * g`, then `w <- w + v`, with `v = 0` before the first
 * step. The velocity keeps moving the parameters along directions where the
 * gradient is consistent and damps oscillation across a narrow valley. Each
 * velocity is a slot `<param>:velocity` of the parameter's shape and dtype.
 *
 * @example
 * ```ts
 * momentum({ lr: 0.01, beta: 0.9 })
 * ```
 * @category Optimisers
 */
export const momentum = (options: MomentumOptions): Optimizer => {
  const mu = options.beta ?? 0.9
  return {
    name: 'momentum',
    fullBatch: false,
    append: (b, params, inputs) => ({
      updates: params.flatMap((p) => {
        const dtype = b.node(p.node).dtype
        const velocity = inputs.slot(p.name, 'velocity')
        // v = (mu * v0) - (eta * g), then w + v
        const v = b.sub(b.mul(b.scalar(mu, dtype), velocity.node), b.mul(inputs.scalar('lr', dtype), p.grad))
        return [
          { param: p.name, value: b.add(p.node, v) },
          { param: velocity.name, value: v },
        ]
      }),
      scalars: ({ step, epoch }) => ({ lr: rateAt(options.lr, step, epoch) }),
    }),
  }
}
