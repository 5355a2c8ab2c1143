import type { Tensor } from '@backprop/backend'
import { build, type Graph, type GraphError, type NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import type { LayerNodes } from './model.js'

/**
 * One layer's (or unit group's) figures over an epoch, in the `layers`
 * field of epoch events when a run asks for them
 * ({@link TrainOptions.layerStats}):
 * - `deltaRms`: the root mean square of its deltas dE/da over all the
 *   epoch's samples and the layer's units (of the loss as the model reduces
 *   it: with a `mean` reduction, dE/da carries the 1/M);
 * - `gradNorm`: the Frobenius norm of the gradient of its weights, averaged
 *   over the epoch's steps;
 * - `weightNorm`: the Frobenius norm of its weights at the epoch's last step.
 * Vanishing gradients show as a `deltaRms` that shrinks layer by layer
 * towards the inputs.
 *
 * @category Events
 */
export interface LayerStats {
  /** The layer (or group) number, from 1 at the inputs. */
  readonly layer: number
  /** RMS of dE/da over the epoch. */
  readonly deltaRms: number
  /** Mean over steps of ||dE/dW||. */
  readonly gradNorm: number
  /** ||W|| at the end of the epoch. */
  readonly weightNorm: number
}

/**
 * Appends to a differentiated graph, per layer, three scalars: the sum of
 * squares of its delta, of its weight gradients and of its weights. They
 * become extra outputs of the compiled step, so the statistics cost a few
 * reductions per step and no extra run.
 *
 * @internal
 */
export const appendLayerStats = (
  graph: Graph,
  layers: readonly LayerNodes[],
  deltas: readonly NodeId[],
  gradientOf: (param: NodeId) => NodeId,
): E.Either<GraphError, { graph: Graph; outputs: NodeId[] }> =>
  E.map(({ graph: g, result }: { graph: Graph; result: NodeId[] }) => ({ graph: g, outputs: result }))(
    build(graph, (b) =>
      layers.flatMap((layer, l) => {
        const squares = (nodes: readonly NodeId[]): NodeId =>
          nodes.length === 0
            ? b.scalar(0, b.node(deltas[l]!).dtype)
            : nodes.map((n) => b.sum(b.square(n))).reduce((s, n) => b.add(s, n))
        return [squares([deltas[l]!]), squares(layer.weights.map(gradientOf)), squares(layer.weights)]
      }),
    ),
  )

/**
 * Adds up the per-step figures of {@link appendLayerStats} over an epoch;
 * `widths[l]` is the number of units of layer l (a sample's share of its
 * delta).
 *
 * @internal
 */
export const layerStatsAccumulator = (widths: readonly number[]) => {
  let deltaSq = new Float64Array(widths.length)
  let gradNorms = new Float64Array(widths.length)
  let weightSq = new Float64Array(widths.length)
  let samples = 0
  let steps = 0
  return {
    /** One step's outputs (three scalars per layer) on `batch` samples. */
    add(outputs: readonly Tensor[], batch: number): void {
      widths.forEach((_, l) => {
        deltaSq[l]! += outputs[3 * l]!.data[0]!
        gradNorms[l]! += Math.sqrt(outputs[3 * l + 1]!.data[0]!)
        weightSq[l] = outputs[3 * l + 2]!.data[0]!
      })
      samples += batch
      steps += 1
    },
    /** The epoch's figures, and a fresh start for the next epoch. */
    take(): LayerStats[] {
      const out = widths.map((n, l) => ({
        layer: l + 1,
        deltaRms: Math.sqrt(deltaSq[l]! / Math.max(1, samples * n)),
        gradNorm: gradNorms[l]! / Math.max(1, steps),
        weightNorm: Math.sqrt(weightSq[l]!),
      }))
      deltaSq = new Float64Array(widths.length)
      gradNorms = new Float64Array(widths.length)
      weightSq = new Float64Array(widths.length)
      samples = 0
      steps = 0
      return out
    },
  }
}
