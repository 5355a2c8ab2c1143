import { build, type DType, emptyGraph, type Graph, type GraphError, graphError, type NodeId, ancestors } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { feedForward } from './feedforward/network.js'
import { type FeedForwardSpec, validateFeedForward } from './feedforward/spec.js'
import { layered } from './layered.js'
import { type Activation, type Loss, validateSpec } from './spec.js'

/**
 * What a trained model computes, without its parameter values: a layered
 * network (`--layers`) or a general feed-forward network (`--net`), told
 * apart by `kind`. A model file stores it, so that `predict` and `export`
 * can rebuild the network.
 *
 * @category Models
 */
export type Architecture =
  | {
      /** A layered network: layer sizes, each layer's activation, the loss. */
      readonly kind: 'layered'
      /** Units per layer, inputs first. */
      readonly sizes: readonly number[]
      /** The activation of each layer after the inputs. */
      readonly activations: readonly Activation[]
      /** The loss it was trained with (it fixes the output activation's pairing). */
      readonly loss: Loss
    }
  | {
      /** A general feed-forward network, in the format of the `feedforward-networks` reference kind. */
      readonly kind: 'feedforward'
      /** The network (weights, if any, are initial values and not used). */
      readonly spec: FeedForwardSpec
    }

/**
 * A per-feature affine map `(x - offset) / scale` applied to raw inputs
 * before the network, fitted on the training data.
 *
 * @category Models
 */
export interface InputScaling {
  /** Subtracted from each feature. */
  readonly offset: readonly number[]
  /** Divides each shifted feature. */
  readonly scale: readonly number[]
}

/**
 * The inference graph of a model: raw inputs `x` (`[M, D]`), scaling, the
 * network, and its outputs `y` (`[M, K]`, after the output activation).
 * Parameters are `param` nodes named as in training.
 *
 * @category Models
 */
export interface Predictor {
  /** The graph. */
  readonly graph: Graph
  /** The raw input node `x`. */
  readonly x: NodeId
  /** The output node y. */
  readonly y: NodeId
}

/**
 * The network an architecture describes, built for `batch` samples:
 * its graph, input `x` and outputs.
 */
const networkOf = (arch: Architecture, batch: number, dtype: DType): E.Either<GraphError, { graph: Graph; x: NodeId; outputs: NodeId }> =>
  arch.kind === 'layered'
    ? layered({ sizes: arch.sizes, activations: arch.activations, loss: arch.loss, batch, dtype })
    : feedForward({ ...arch.spec, batch, dtype })

/**
 * The number of input features D and outputs K of an architecture.
 *
 * @category Models
 */
export const shapeOf = (arch: Architecture): { readonly features: number; readonly outputs: number } =>
  arch.kind === 'layered'
    ? { features: arch.sizes[0]!, outputs: arch.sizes[arch.sizes.length - 1]! }
    : { features: arch.spec.inputs, outputs: arch.spec.outputs.length }

/**
 * Builds the inference graph of a model for `batch` samples: the input `x`
 * holds raw features, `scaling` (when given) is applied inside the graph,
 * and `y` is the network's output after its output activation. The loss
 * and targets are left out.
 *
 * @example
 * ```ts
 * const arch: Architecture = { kind: 'layered', sizes: [4, 8, 3], activations: ['tanh', 'softmax'], loss: 'softmax-cross-entropy' }
 * const p = predictor(arch, { batch: 10, dtype: 'f64', scaling: { offset: [5, 3, 4, 1], scale: [1, 1, 2, 1] } })
 * ```
 * @category Models
 */
export const predictor = (
  arch: Architecture,
  options: { readonly batch: number; readonly dtype: DType; readonly scaling?: InputScaling },
): E.Either<GraphError, Predictor> =>
  pipe(
    networkOf(arch, options.batch, options.dtype),
    E.flatMap((net) =>
      build(emptyGraph, (b) => {
        // Copy the nodes y needs, with the network's input x replaced by the scaled raw input.
        const x = b.input('x', net.graph.nodes[net.x]!.shape, options.dtype)
        const s = options.scaling
        const scaled =
          s === undefined ? x : b.div(b.sub(x, b.constant([...s.offset], [s.offset.length], options.dtype)), b.constant([...s.scale], [s.scale.length], options.dtype))
        const copied = new Map<NodeId, NodeId>([[net.x, scaled]])
        for (const id of ancestors(net.graph, [net.outputs])) {
          if (copied.has(id)) continue
          const n = net.graph.nodes[id]!
          copied.set(id, b.apply(n.op, n.inputs.map((i) => copied.get(i)!), n.attrs, n.dtype))
        }
        return { x, y: copied.get(net.outputs)! }
      }),
    ),
    E.map(({ graph, result }) => ({ graph, ...result })),
  )

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

/**
 * Reads an architecture from JSON (as a model file holds it), checking it
 * the way the network builders do; a `Left` says what is wrong.
 *
 * @category Models
 */
export const decodeArchitecture = (json: unknown): E.Either<GraphError, Architecture> => {
  const bad = (message: string) => E.left(graphError('ShapeError', { op: 'architecture', message: `architecture: ${message}` }))
  if (!isRecord(json)) return bad('expected an object with a "kind"')
  if (json['kind'] === 'layered') {
    const { sizes, activations, loss } = json as { sizes: number[]; activations: Activation[]; loss: Loss }
    return pipe(
      validateSpec({ sizes, activations, loss, batch: 1 }),
      E.map(() => ({ kind: 'layered' as const, sizes, activations, loss })),
    )
  }
  if (json['kind'] === 'feedforward') return pipe(validateFeedForward(json['spec']), E.map((spec) => ({ kind: 'feedforward' as const, spec })))
  return bad(`unknown kind ${JSON.stringify(json['kind'])} (expected "layered" or "feedforward")`)
}
