import type { ParamUpdate } from '@backprop/backend'
import type { Builder, DType, NodeId } from '@backprop/graph'

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
 * A trained parameter as an {@link Optimizer}'s update sees it: its name, its
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
  /**
   * The slot's name in the graph: `<param>:<slot>`, e.g. `W1:velocity`,
   * unless the model has a node of that name (then primes are appended).
   */
  readonly name: string
  /** Its `param` node: the slot's value before the step. */
  readonly node: NodeId
}

/**
 * What the trainer offers an {@link Optimizer}'s update to build with besides the
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
 * The nodes an {@link Optimizer} appends to a training graph.
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
 * An optimiser: its update written once, as graph nodes appended to the
 * graph of the loss's gradients. The trainer compiles that graph for every
 * backend: one that holds parameters (see `StatefulExecutable` of
 * `@backprop/backend`) applies the update in place and a step feeds only
 * the batch; on any other, the trainer feeds the parameters and the slots
 * and takes their new values from the same graph's outputs. Both paths
 * compute the same operations, so they round alike, in float32 too.
 *
 * The optimiser's state lives in slots ({@link UpdateInputs.slot}) that
 * start at zero; per-step numbers (a scheduled learning rate, a bias
 * correction) are scalar inputs ({@link UpdateInputs.scalar}) whose values
 * {@link UpdateNodes.scalars} gives for each step.
 *
 * @example
 * ```ts
 * // plain gradient descent with a fixed rate, written as an optimiser
 * const descent: Optimizer = {
 *   name: 'descent',
 *   fullBatch: false,
 *   append: (b, params, inputs) => ({
 *     updates: params.map((p) => ({ param: p.name, value: b.sub(p.node, b.mul(inputs.scalar('lr', b.node(p.node).dtype), p.grad)) })),
 *     scalars: () => ({ lr: 0.1 }),
 *   }),
 * }
 * ```
 * @category Optimisers
 */
export interface Optimizer {
  /** The optimiser's name, e.g. `sgd` or `adam`. */
  readonly name: string
  /**
   * True for full-batch gradient descent: the trainer then feeds the whole
   * training set as one batch whatever batch size it was given.
   */
  readonly fullBatch: boolean
  /**
   * Appends the update of `params` to a graph that computes their gradients
   * and returns the new value of every parameter and slot. Throws (a graph
   * error from the builder) only for a broken optimiser.
   */
  append(b: Builder, params: readonly GraphParam[], inputs: UpdateInputs): UpdateNodes
}
