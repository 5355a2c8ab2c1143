import type { ParamUpdate } from '@backprop/backend'
import type { Builder, DType, NodeId } from '@backprop/graph'
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
 * A trained parameter as an {@link UpdateGraph} sees it: its name, its
 * `param` node and the node of the loss's gradient with respect to it.
 *
 * @category Optimisers
 */
export interface GraphParam {
  /** The parameter's name. */
  readonly name: string
  /** Its `param` node. */
  readonly node: NodeId
  /** The gradient of the loss with respect to it, same shape and dtype. */
  readonly grad: NodeId
}

/**
 * An optimiser state slot in an update graph: an extra `param` node the
 * backend holds between steps, like the parameters themselves.
 *
 * @category Optimisers
 */
export interface Slot {
  /** The slot's name in the graph, `<param>:<slot>`, e.g. `W1:velocity`. */
  readonly name: string
  /** Its `param` node: the slot's value before the step. */
  readonly node: NodeId
}

/**
 * What the trainer offers an {@link UpdateGraph} to build with besides the
 * builder: per-step scalars and state slots.
 *
 * @category Optimisers
 */
export interface UpdateInputs {
  /**
   * A scalar input of `dtype` that the trainer feeds before every step with
   * `scalars(info)[key]` of the {@link UpdateNodes} (rounded to `dtype`):
   * the learning rate of a schedule, a bias correction. The same key and
   * dtype give the same node.
   */
  scalar(key: string, dtype: DType): NodeId
  /**
   * The slot `name` of parameter `param`: a node with the parameter's shape
   * and dtype, zero before the first step, whose new value the update must
   * give (an update with the slot's name).
   */
  slot(param: string, name: string): Slot
}

/**
 * The nodes an {@link UpdateGraph} appends to a training graph.
 *
 * @category Optimisers
 */
export interface UpdateNodes {
  /** The new value of every trained parameter and of every slot. */
  readonly updates: readonly ParamUpdate[]
  /** The values of the {@link UpdateInputs.scalar} inputs at a step, by key. */
  scalars(info: StepInfo): Readonly<Record<string, number>>
}

/**
 * An optimiser's step written as graph nodes, so that a backend which
 * holds parameters (see `StatefulExecutable` of `@backprop/backend`)
 * applies it in place and a training step feeds only the batch. It must
 * compute what {@link UpdateGraph.mirrors} computes, with the optimiser's
 * state kept in slots ({@link UpdateInputs.slot}) that start at zero, and
 * the step count, when it needs one, read from {@link StepInfo.step}.
 *
 * @category Optimisers
 */
export interface UpdateGraph<S = unknown> {
  /**
   * The `step` function this graph computes. The trainer uses the graph
   * only while the optimiser's `step` is this very function, so a wrapper
   * that replaces `step` (`{ ...sgd(options), step: spy }`) gets its `step`
   * called, on the path that feeds the parameters.
   */
  mirrors(state: S, params: Params, grads: Params, info: StepInfo): Stepped<S>
  /**
   * Appends the update of `params` to a graph that computes their gradients
   * and returns the new values. Throws (a graph error from the builder) only
   * for a broken optimiser.
   */
  append(b: Builder, params: readonly GraphParam[], inputs: UpdateInputs): UpdateNodes
}

/**
 * An optimiser as a pure state transition: `init` gives the state before the
 * first step, and `step` maps (state, parameters, gradients) to new
 * parameters and a new state. Neither ever writes into its arguments, so a
 * caller that keeps the old parameters (to recover from a NaN, or after
 * cancelling a run) still holds them intact. An optimiser may also give its
 * step as graph nodes ({@link Optimizer.updateGraph}); the trainer then
 * lets a backend that holds parameters update them in place, and calls
 * `init` and `step` only on backends that do not.
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
  /** The same step as graph nodes, when the optimiser has that form; see {@link UpdateGraph}. */
  readonly updateGraph?: UpdateGraph<S>
}
