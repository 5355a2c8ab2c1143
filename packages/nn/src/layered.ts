import { build, type Builder, emptyGraph, type Graph, type GraphError, type NodeId } from '@backprop/graph'
import { grad } from '@backprop/diff'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { activate } from './activations.js'
import { dense } from './dense.js'
import { lossOf } from './losses.js'
import { biasName, weightName } from './names.js'
import { type FullSpec, type LayeredSpec, validateSpec } from './spec.js'

/**
 * One layer's parameter nodes: weights `W` (`[N_l, N_{l-1}]`) and biases
 * `b` (`[N_l]`), or their gradients in the same shapes.
 *
 * @category Networks
 */
export interface LayerParams {
  /** The weight matrix W_l (row i = weights into unit i). */
  readonly W: NodeId
  /** The bias vector b_l. */
  readonly b: NodeId
}

/**
 * A layered network as a graph: parameters in, loss and outputs out.
 * Inputs are named `x` (`[M, D]`) and `t` (`[M, K]`), parameters `W1`,
 * `b1`, `W2`, ... (1-based, layer order).
 *
 * @category Networks
 */
export interface Network {
  /** The forward graph. */
  readonly graph: Graph
  /** The validated spec it was built from, defaults filled in. */
  readonly spec: FullSpec
  /** The input node `x`, `[M, D]`. */
  readonly x: NodeId
  /** The target node `t`, `[M, K]`. */
  readonly t: NodeId
  /** Each layer's parameter nodes, layer 1 first. */
  readonly params: readonly LayerParams[]
  /** Each layer's pre-activations a_l, `[M, N_l]`. */
  readonly preActivations: readonly NodeId[]
  /** Each layer's activations z_l = h_l(a_l), `[M, N_l]`; the last is y. */
  readonly activations: readonly NodeId[]
  /** The outputs y = z_L, `[M, K]`. */
  readonly outputs: NodeId
  /** The scalar loss E. */
  readonly loss: NodeId
  /** Parameter names in layer order: `['W1', 'b1', 'W2', 'b2', ...]`. */
  readonly paramNames: readonly string[]
  /** Each layer's pre-activations and weight matrix, for per-layer statistics while training. */
  readonly layers: readonly LayerNodes[]
}

/**
 * One layer (or unit group) as a trainer's per-layer statistics see it: the
 * pre-activations a, whose adjoint dE/da is the layer's delta, and the
 * weight parameters into it.
 *
 * @category Networks
 */
export interface LayerNodes {
  /** a, `[M, n]`. */
  readonly preActivation: NodeId
  /** The weight parameter nodes of the layer (not its bias). */
  readonly weights: readonly NodeId[]
}

/**
 * Appends a layered network for an already validated spec to the graph
 * being built: inputs `x` and `t`, then for each layer l the parameters
 * `W{l}`, `b{l}`, `a_l = z_{l-1} W_l^T + b_l` and `z_l = h_l(a_l)`, then the
 * loss. Use it inside a larger build to add more on top; {@link layered}
 * is the stand-alone form.
 *
 * @category Networks
 */
export const layeredInto = (b: Builder, spec: FullSpec): Omit<Network, 'graph'> => {
  const { sizes, activations: hs, batch, dtype } = spec
  const x = b.input('x', [batch, sizes[0]!], dtype)
  const t = b.input('t', [batch, sizes[sizes.length - 1]!], dtype)
  const params: LayerParams[] = []
  const preActivations: NodeId[] = []
  const activations: NodeId[] = []
  let z = x
  hs.forEach((h, i) => {
    const l = i + 1
    const W = b.param(weightName(l), [sizes[l]!, sizes[i]!], dtype)
    const bias = b.param(biasName(l), [sizes[l]!], dtype)
    const a = dense(b, z, W, bias)
    z = activate(b, a, h)
    params.push({ W, b: bias })
    preActivations.push(a)
    activations.push(z)
  })
  const loss = lossOf(b, {
    preActivation: preActivations[preActivations.length - 1]!,
    activation: hs[hs.length - 1]!,
    t,
    loss: spec.loss,
    reduction: spec.reduction,
  })
  const paramNames = hs.flatMap((_, i) => [weightName(i + 1), biasName(i + 1)])
  const layers = preActivations.map((a, l) => ({ preActivation: a, weights: [params[l]!.W] }))
  return { spec, x, t, params, preActivations, activations, outputs: z, loss, paramNames, layers }
}

/**
 * Builds a layered network from a spec, or returns a one-line error saying
 * what is wrong with the spec. Build the same network for another batch
 * size with {@link rebatch}; parameter names, and so parameter values, are
 * shared between the two.
 *
 * @example
 * ```ts
 * const net = layered({ sizes: [2, 3, 1], activations: ['tanh', 'linear'], loss: 'sse', batch: 4 })
 * // Right(network) with net.loss the scalar 1/2 sum (y - t)^2
 * ```
 * @category Networks
 */
export const layered = (spec: LayeredSpec): E.Either<GraphError, Network> =>
  pipe(
    validateSpec(spec),
    E.flatMap((full) => build(emptyGraph, (b) => layeredInto(b, full))),
    E.map(({ graph, result }) => ({ graph, ...result })),
  )

/**
 * The same network built for `batch` samples (e.g. one graph for training
 * batches and one for evaluating a whole test set).
 *
 * @category Networks
 */
export const rebatch = (network: Network, batch: number): E.Either<GraphError, Network> =>
  layered({ ...network.spec, batch })

/**
 * A network's graph extended with the gradient of the loss with respect to
 * every parameter.
 *
 * @category Networks
 */
export interface NetworkGradients {
  /** The network's graph with the derivative nodes appended. */
  readonly graph: Graph
  /** dE/dW_l and dE/db_l for each layer, layer 1 first. */
  readonly gradients: readonly LayerParams[]
  /** dE/da_l for each layer, `[M, N_l]`, layer 1 first: the lecture's deltas. */
  readonly deltas: readonly NodeId[]
}

/**
 * Appends dE/dW_l and dE/db_l for every layer to the network's graph, by
 * symbolic differentiation of its loss, and hands back the deltas
 * dE/da_l the differentiation passes through on the way.
 *
 * @example
 * ```ts
 * const grads = pipe(layered(spec), E.flatMap(networkGradients))
 * ```
 * @category Networks
 */
export const networkGradients = (network: Network): E.Either<GraphError, NetworkGradients> => {
  const wrt = [...network.params.flatMap(({ W, b }) => [W, b]), ...network.preActivations]
  const L = network.params.length
  return E.map(({ graph, gradients }: { graph: Graph; gradients: readonly NodeId[] }) => ({
    graph,
    gradients: network.params.map((_, l) => ({ W: gradients[2 * l]!, b: gradients[2 * l + 1]! })),
    deltas: gradients.slice(2 * L),
  }))(grad(network.graph, network.loss, wrt))
}
