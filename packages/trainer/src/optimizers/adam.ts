import type { Tensor } from '@backprop/backend'
import type { Optimizer, StepInfo, Stepped, UpdateGraph } from '../optimizer.js'
import { mapParams, type Params, zerosOf } from '../params.js'
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
 * The state of {@link adam}: moment estimates per parameter (float64) and the
 * number of updates applied, which the bias correction needs.
 *
 * @category Optimisers
 */
export interface AdamState {
  /** First-moment (mean) estimates m. */
  readonly m: Params
  /** Second-moment (uncentred variance) estimates v. */
  readonly v: Params
  /** Updates applied so far. */
  readonly t: number
}

const zerosLike = (params: Params): Params =>
  mapParams(params, (w) => ({ shape: w.shape, dtype: 'f64', data: new Float64Array(w.data.length) }))

/**
 * Adam (Kingma and Ba, 2015): with t the update count from 1,
 * `m <- b1 m + (1-b1) g`, `v <- b2 v + (1-b2) g^2`,
 * `w <- w - alpha * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)`.
 * The bias corrections undo the pull of the zero start of m and v towards 0
 * in the first steps. Its graph form keeps the moments in slots
 * `<param>:m` and `<param>:v` and feeds alpha, `1-b1^t` and `1-b2^t` per step.
 *
 * @example
 * ```ts
 * adam({ lr: 0.001 })
 * ```
 * @category Optimisers
 */
export const adam = (options: AdamOptions = {}): Optimizer<AdamState> => {
  const lr = options.lr ?? 0.001
  const b1 = options.beta1 ?? 0.9
  const b2 = options.beta2 ?? 0.999
  const eps = options.epsilon ?? 1e-8
  const update = (state: AdamState, params: Params, grads: Params, { step, epoch }: StepInfo): Stepped<AdamState> => {
    const alpha = rateAt(lr, step, epoch)
    const t = state.t + 1
    const c1 = 1 - Math.pow(b1, t)
    const c2 = 1 - Math.pow(b2, t)
    const m: Record<string, Tensor> = {}
    const v: Record<string, Tensor> = {}
    const next = mapParams(params, (w, name) => {
      const g = grads[name]!.data
      const m0 = state.m[name]!.data
      const v0 = state.v[name]!.data
      const m1 = new Float64Array(w.data.length)
      const v1 = new Float64Array(w.data.length)
      const data = zerosOf(w.dtype, w.data.length)
      for (let i = 0; i < data.length; i++) {
        const gi = g[i]!
        m1[i] = b1 * m0[i]! + (1 - b1) * gi
        v1[i] = b2 * v0[i]! + (1 - b2) * gi * gi
        data[i] = w.data[i]! - (alpha * (m1[i]! / c1)) / (Math.sqrt(v1[i]! / c2) + eps)
      }
      m[name] = { shape: w.shape, dtype: 'f64', data: m1 }
      v[name] = { shape: w.shape, dtype: 'f64', data: v1 }
      return { shape: w.shape, dtype: w.dtype, data }
    })
    return { params: next, state: { m, v, t } }
  }
  const updateGraph: UpdateGraph<AdamState> = {
    mirrors: update,
    // The operations of `step` in its order, with alpha, c1 and c2 fed per
    // step (t is the step count of the run, which is what `step` counts when
    // the trainer drives it from `init`). The moment slots have the
    // parameter's dtype, so an f32 parameter's moments are rounded to float32
    // where `step` keeps them in float64.
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
  return {
    name: 'adam',
    fullBatch: false,
    init: (params) => ({ m: zerosLike(params), v: zerosLike(params), t: 0 }),
    step: update,
    updateGraph,
  }
}
