import type { Tensor } from '@backprop/backend'
import type { Optimizer } from '../optimizer.js'
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
 * gradient is consistent and damps oscillation across a narrow valley.
 *
 * @example
 * ```ts
 * momentum({ lr: 0.01, beta: 0.9 })
 * ```
 * @category Optimisers
 */
export const momentum = (options: MomentumOptions): Optimizer<MomentumState> => {
  const mu = options.beta ?? 0.9
  return {
    name: 'momentum',
    fullBatch: false,
    init: (params) =>
      ({
        velocity: mapParams(params, (w) => ({ shape: w.shape, dtype: 'f64', data: new Float64Array(w.data.length) })),
      }),
    step: (state, params, grads, { step, epoch }) => {
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
    },
  }
}
