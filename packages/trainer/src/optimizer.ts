import type { Params } from './params.js'

/**
 * Where in a run an optimiser step happens: `step` counts steps from 1 over
 * the whole run, `epoch` counts epochs from 1. Learning-rate schedules read it.
 *
 * @category Optimisers
 */
export interface StepInfo {
  /** The step number, from 1. */
  readonly step: number
  /** The epoch number, from 1. */
  readonly epoch: number
}

/**
 * What an optimiser step returns: the new parameters and the new state.
 *
 * @category Optimisers
 */
export interface Stepped<S> {
  /** The updated parameters (new arrays). */
  readonly params: Params
  /** The optimiser's state after the step. */
  readonly state: S
}

/**
 * An optimiser as a pure state transition: `init` gives the state before the
 * first step, and `step` maps (state, parameters, gradients) to new
 * parameters and a new state. Neither ever writes into its arguments, so a
 * caller that keeps the old parameters (to recover from a NaN, or after
 * cancelling a run) still holds them intact.
 *
 * @example
 * ```ts
 * const opt = momentum({ lr: 0.1, beta: 0.9 })
 * let state = opt.init(params)
 * ;({ params, state } = opt.step(state, params, grads, { step: 1, epoch: 1 }))
 * ```
 * @category Optimisers
 */
export interface Optimizer<S = unknown> {
  /** The optimiser's name, e.g. `sgd` or `adam`. */
  readonly name: string
  /**
   * True for full-batch gradient descent: the trainer then feeds the whole
   * training set as one batch whatever batch size it was given.
   */
  readonly fullBatch: boolean
  /** The state before the first step. */
  init(params: Params): S
  /** One update from the gradients of the loss with respect to `params`. */
  step(state: S, params: Params, grads: Params, info: StepInfo): Stepped<S>
}
