import type { Optimizer } from '../optimizer.js'
import { type LearningRate, rateAt } from '../schedule.js'

/**
 * Options of {@link adam}.
 *
 * @category Optimisers
 */
export interface AdamOptions {
  /** The step size alpha, or a schedule for it. Default 0.001. */
  readonly lr?: LearningRate
  /** Decay of the first-moment estimate. Default 0.9. */
  readonly beta1?: number
  /** Decay of the second-moment estimate. Default 0.999. */
  readonly beta2?: number
  /** Added to the root of the second moment to avoid dividing by 0. Default 1e-8. */
  readonly epsilon?: number
}

/**
 * Adam (Kingma and Ba, 2015): with t the step count from 1,
 * `m <- b1 m + (1-b1) g`, `v <- b2 v + (1-b2) g^2`,
 * `w <- w - alpha * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)`.
 * The bias corrections undo the pull of the zero start of m and v towards 0
 * in the first steps. The moments are slots `<param>:m` and `<param>:v`;
 * alpha, `1-b1^t` and `1-b2^t` are scalar inputs fed every step.
 *
 * @example
 * ```ts
 * adam({ lr: 0.001 })
 * ```
 * @category Optimisers
 */
export const adam = (options: AdamOptions = {}): Optimizer => {
  const lr = options.lr ?? 0.001
  const b1 = options.beta1 ?? 0.9
  const b2 = options.beta2 ?? 0.999
  const eps = options.epsilon ?? 1e-8
  return {
    name: 'adam',
    fullBatch: false,
    append: (bld, params, inputs) => ({
      updates: params.flatMap((p) => {
        const dtype = bld.node(p.node).dtype
        const c = (value: number) => bld.scalar(value, dtype)
        const m0 = inputs.slot(p.name, 'm')
        const v0 = inputs.slot(p.name, 'v')
        const g = p.grad
        const m1 = bld.add(bld.mul(c(b1), m0.node), bld.mul(c(1 - b1), g))
        const v1 = bld.add(bld.mul(c(b2), v0.node), bld.mul(bld.mul(c(1 - b2), g), g))
        const mHat = bld.div(m1, inputs.scalar('c1', dtype))
        const vHat = bld.div(v1, inputs.scalar('c2', dtype))
        const stepSize = bld.div(bld.mul(inputs.scalar('lr', dtype), mHat), bld.add(bld.sqrt(vHat), c(eps)))
        return [
          { param: p.name, value: bld.sub(p.node, stepSize) },
          { param: m0.name, value: m1 },
          { param: v0.name, value: v1 },
        ]
      }),
      scalars: ({ step, epoch }) => ({ lr: rateAt(lr, step, epoch), c1: 1 - Math.pow(b1, step), c2: 1 - Math.pow(b2, step) }),
    }),
  }
}
