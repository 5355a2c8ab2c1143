import { grad } from '@backprop/diff'
import { type Graph, type NodeId, paramsOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { configError, type TrainError } from './errors.js'
import { appendLayerStats } from './layer-stats.js'
import type { ModelGraph } from './model.js'
import type { GraphParam } from './optimizer.js'

/**
 * A model's graph with the loss's gradients appended: each parameter with
 * its node and gradient, and the per-layer statistics nodes (none unless
 * asked for).
 *
 * @internal
 */
export interface GradientGraph {
  readonly graph: Graph
  /** The parameters in the order they were asked for. */
  readonly params: readonly GraphParam[]
  readonly stats: readonly NodeId[]
}

/**
 * Differentiates the loss of `built` with respect to `paramNames`; with
 * `layerWidths` (per-layer statistics asked for), also with respect to each
 * layer's pre-activations, whose deltas the statistics need: the walk
 * passes through them anyway, so they come with the gradients. The
 * widths come from the graph for `firstBatch`, which messages name.
 *
 * @internal
 */
export const gradientGraph = (
  built: ModelGraph,
  paramNames: readonly string[],
  layerWidths: readonly number[] | undefined,
  firstBatch: number,
): E.Either<TrainError, GradientGraph> => {
  const byName = paramsOf(built.graph)
  const ids = paramNames.map((name) => byName.get(name)!)
  const layers = layerWidths === undefined ? [] : (built.layers ?? [])
  if (layers.length !== (layerWidths?.length ?? 0)) {
    return E.left(configError(`the model lists ${layers.length} layers for one batch size but ${layerWidths!.length} for batch ${firstBatch}`))
  }
  const derived = grad(built.graph, built.loss, [...ids, ...layers.map((l) => l.preActivation)])
  if (E.isLeft(derived)) return E.left(configError(`cannot differentiate the loss: ${derived.left.message}`))
  const gradients = derived.right.gradients
  const params = paramNames.map((name, i) => ({ name, node: ids[i]!, grad: gradients[i]! }))
  if (layers.length === 0) return E.right({ graph: derived.right.graph, params, stats: [] })
  const gradientOf = (node: NodeId): NodeId => gradients[ids.indexOf(node)]!
  const stats = appendLayerStats(derived.right.graph, layers, gradients.slice(ids.length), gradientOf)
  if (E.isLeft(stats)) return E.left(configError(`cannot build the per-layer statistics: ${stats.left.message}`))
  return E.right({ graph: stats.right.graph, params, stats: stats.right.outputs })
}
