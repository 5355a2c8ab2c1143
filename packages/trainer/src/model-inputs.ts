import { type DType, inputsOf, type NodeId, type Shape, sameShape, showShape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { configError, type TrainError } from './errors.js'
import type { ModelGraph } from './model.js'
import type { ParamSpec } from './params.js'

/** How a data array is fed: the input's name, its shape in the graph and its dtype. @internal */
export interface FeedShape {
  readonly name: string
  readonly shape: Shape
  readonly dtype: DType
}

/** What the data looks like: features D and targets K per sample. @internal */
export interface DataShape {
  readonly features: number
  readonly targets: number
}

/**
 * Why the parameters `b` of one batch size's graph differ from those `a` of
 * another (a missing, extra or reshaped one), or `undefined` when they match:
 * every graph of a model trains the same parameter set.
 *
 * @internal
 */
export const specMismatch = (a: ReadonlyMap<string, ParamSpec>, b: ReadonlyMap<string, ParamSpec>): string | undefined => {
  for (const [name, spec] of a) {
    const other = b.get(name)
    if (other === undefined) return `parameter '${name}' is missing`
    if (!sameShape(spec.shape, other.shape) || spec.dtype !== other.dtype) {
      return `parameter '${name}' is ${showShape(other.shape)} ${other.dtype} instead of ${showShape(spec.shape)} ${spec.dtype}`
    }
  }
  for (const name of b.keys()) if (!a.has(name)) return `it has an extra parameter '${name}'`
  return undefined
}

/**
 * Checks one built graph of a model against the data (its loss, outputs and
 * metrics are nodes of the right shapes, its inputs take `batch` samples)
 * and returns how to feed it the samples `x` and, when it has them, the
 * targets `t`.
 *
 * @internal
 */
export const modelInputs = (
  built: ModelGraph,
  batch: number,
  data: DataShape,
): E.Either<TrainError, { x: FeedShape; t: FeedShape | undefined }> => {
  const { graph, loss, outputs } = built
  const size = graph.nodes.length
  const where = `the model's graph for batch ${batch}`
  if (!(Number.isInteger(loss) && loss >= 0 && loss < size)) {
    return E.left(configError(`${where}: loss #${loss} is not a node of the graph`))
  }
  const lossShape = graph.nodes[loss]!.shape
  if (sizeOf(lossShape) !== 1) {
    return E.left(configError(`${where}: the loss must be a scalar, but it has shape ${showShape(lossShape)}`))
  }
  if (outputs !== undefined && !(Number.isInteger(outputs) && outputs >= 0 && outputs < size)) {
    return E.left(configError(`${where}: outputs #${outputs} is not a node of the graph`))
  }
  for (const [name, id] of Object.entries(built.metrics ?? {})) {
    if (!(Number.isInteger(id) && id >= 0 && id < size)) return E.left(configError(`${where}: metric '${name}' #${id} is not a node of the graph`))
    const shape = graph.nodes[id]!.shape
    if (sizeOf(shape) !== 1) return E.left(configError(`${where}: metric '${name}' must be a scalar, but it has shape ${showShape(shape)}`))
  }
  const inputs = inputsOf(graph)
  const feed = (role: 'x' | 't', width: number, required: boolean): E.Either<TrainError, FeedShape | undefined> => {
    const name = built.inputs?.[role] ?? role
    const id: NodeId | undefined = inputs.get(name)
    if (id === undefined) {
      return required
        ? E.left(configError(`${where}: it has no input named '${name}' to feed the samples to`))
        : E.right(undefined)
    }
    const node = graph.nodes[id]!
    if (sizeOf(node.shape) !== batch * width) {
      return E.left(
        configError(
          `${where}: input '${name}' has shape ${showShape(node.shape)}, but ${batch} samples of ${width} ${role === 'x' ? 'features' : 'targets'} make [${batch},${width}]`,
        ),
      )
    }
    return E.right({ name, shape: node.shape, dtype: node.dtype })
  }
  return E.flatMap((x: FeedShape | undefined) =>
    E.map((t: FeedShape | undefined) => ({ x: x!, t }))(feed('t', data.targets, false)),
  )(feed('x', data.features, true))
}
