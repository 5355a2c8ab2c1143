import type { Tensor } from '@backprop/backend'
import type { Optimizer, StepInfo, Stepped, UpdateGraph } from '../optimizer.js'
import { mapParams, type Params, zerosOf } from '../params.js'
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
 * The state of {@link momentum}: one velocity per parameter, kept in float64.
 *
 * @category Optimisers
 */
export interface MomentumState {
  /** The velocity v of every parameter. */
  readonly velocity: Params
}

/**
 * Gradient descent with (classical, heavy-ball) momentum:
 * `v <- mu * v - eta * g`, then `w <- w + v`, with `v = 0` before the first
 * step. The velocity keeps moving the parameters along directions where the
 * gradient is consistent and damps oscillation across a narrow valley. Its
 * graph form keeps each velocity in a slot `<param>:velocity`.
 *
 * @example
 * ```ts
 * momentum({ lr: 0.01, beta: 0.9 })
 * ```
 * @category Optimisers
 */
export const momentum = (options: MomentumOptions): Optimizer<MomentumState> => {
  const mu = options.beta ?? 0.9
  const update = (state: MomentumState, params: Params, grads: Params, { step, epoch }: StepInfo): Stepped<MomentumState> => {
    const eta = rateAt(options.lr, step, epoch)
    const velocity: Record<string, Tensor> = {}
    const next = mapParams(params, (w, name) => {
      const g = grads[name]!.data
      const v0 = state.velocity[name]!.data
      const v = new Float64Array(w.data.length)
      const data = zerosOf(w.dtype, w.data.length)
      for (let i = 0; i < data.length; i++) {
        v[i] = mu * v0[i]! - eta * g[i]!
        data[i] = w.data[i]! + v[i]!
      }
      velocity[name] = { shape: w.shape, dtype: 'f64', data: v }
      return { shape: w.shape, dtype: w.dtype, data }
    })
    return { params: next, state: { velocity } }
  }
  const updateGraph: UpdateGraph<MomentumState> = {
    mirrors: update,
    // The operations of `step` in its order: v = (mu * v0) - (eta * g), then w + v.
    // The velocity slot has the parameter's dtype, so an f32 parameter's
    // velocity is rounded to float32 where `step` keeps it in float64.
    append: (b, params, inputs) => ({
      updates: params.flatMap((p) => {
        const dtype = b.node(p.node).dtype
        const velocity = inputs.slot(p.name, 'velocity')
        const v = b.sub(b.mul(b.scalar(mu, dtype), velocity.node), b.mul(inputs.scalar('lr', dtype), p.grad))
        return [
          { param: p.name, value: b.add(p.node, v) },
          { param: velocity.name, value: v },
        ]
      }),
      scalars: ({ step, epoch }) => ({ lr: rateAt(options.lr, step, epoch) }),
    }),
  }
  return {
    name: 'momentum',
    fullBatch: false,
    init: (params) =>
      ({
        velocity: mapParams(params, (w) => ({ shape: w.shape, dtype: 'f64', data: new Float64Array(w.data.length) })),
      }),
    step: update,
    updateGraph,
  }
}
