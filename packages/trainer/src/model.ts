import type { Graph, NodeId } from '@backprop/graph'
import type * as E from 'fp-ts/lib/Either.js'

/**
 * A trainable graph for one batch size: the graph, its scalar loss, and
 * optionally its predictions. Inputs default to the names `x` (`[M, D]`
 * samples as rows) and `t` (`[M, K]` targets); every `param` node of the
 * graph is trained. An `@backprop/nn` network fits this shape as it is.
 *
 * @category Models
 */
export interface ModelGraph {
  /** The forward graph. */
  readonly graph: Graph
  /** The scalar loss E (one element). */
  readonly loss: NodeId
  /** The predictions y, `[M, K]`, used for accuracy; optional. */
  readonly outputs?: NodeId
  /** The names of the sample and target inputs; `x` and `t` by default. */
  readonly inputs?: { readonly x?: string; readonly t?: string }
  /**
   * Further scalar nodes to report, by name: each epoch event carries the
   * mean of each over the epoch's batches under `metrics` (the MSE part of
   * an MSE + L2 loss, say). The same names for every batch size.
   */
  readonly metrics?: Readonly<Record<string, NodeId>>
  /**
   * The model's layers (or unit groups), for per-layer statistics
   * ({@link TrainOptions.layerStats}); `@backprop/nn` networks list theirs.
   */
  readonly layers?: readonly LayerNodes[]
}

/**
 * One layer of a model: its pre-activations a (`[M, n]`, samples as rows),
 * whose adjoint dE/da is the layer's delta, and its weight parameters.
 *
 * @category Models
 */
export interface LayerNodes {
  /** The pre-activations a. */
  readonly preActivation: NodeId
  /** The layer's weight parameter nodes (not its bias). */
  readonly weights: readonly NodeId[]
}

/**
 * A model: builds its graph for a given batch size M (graphs have static
 * shapes, so the trainer asks for each batch size it meets, e.g. once for the
 * training batches and once for a smaller last batch). Any graph with
 * parameters and a scalar loss can be trained, not only layered networks:
 * the graph may be any DAG of units, such as one with skip connections.
 *
 * @example
 * ```ts
 * // a layered network from @backprop/nn
 * const model: Model = (batch) => layered({ ...spec, batch })
 * ```
 * @category Models
 */
export type Model = (batch: number) => E.Either<{ readonly message: string }, ModelGraph>
