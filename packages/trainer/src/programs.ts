import type { Backend, Executable } from '@backprop/backend'
import { grad } from '@backprop/diff'
import { type DType, inputsOf, type NodeId, paramsOf, type Shape, sameShape, showShape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { configError, type TrainError } from './errors.js'
import type { Model, ModelGraph } from './model.js'
import { type ParamSpec, paramSpecs } from './params.js'

/** How a data array is fed: the input's name, its shape in the graph and its dtype. @internal */
export interface FeedShape {
  readonly name: string
  readonly shape: Shape
  readonly dtype: DType
}

/**
 * A compiled program for one batch size. The training program computes
 * `[loss, ...gradients]` (one gradient per parameter, in `paramNames` order);
 * the evaluation program `[loss]` or `[loss, outputs]`.
 *
 * @internal
 */
export interface Program {
  readonly exec: Executable
  readonly x: FeedShape
  readonly t: FeedShape | undefined
  /** True when the program's second output is the predictions. */
  readonly predicts: boolean
}

/**
 * The training and evaluation programs of a model, built, differentiated
 * and compiled once per batch size and cached, since graphs have static
 * shapes and a run meets at most a few sizes (the batch size, a smaller last
 * batch, the test chunks).
 *
 * @internal
 */
export interface Programs {
  /** The parameters every graph of the model has, in graph order. */
  readonly specs: ReadonlyMap<string, ParamSpec>
  /** Parameter names in the order of the training program's gradients. */
  readonly paramNames: readonly string[]
  /** The program computing the loss and its gradients for `batch` samples. */
  training(batch: number): E.Either<TrainError, Program>
  /** The program computing the loss (and predictions) for `batch` samples. */
  evaluation(batch: number): E.Either<TrainError, Program>
  /** Disposes every compiled executable. */
  dispose(): Promise<void>
}

/** What the data looks like: features D and targets K per sample. @internal */
export interface DataShape {
  readonly features: number
  readonly targets: number
}

const sameSpecs = (a: ReadonlyMap<string, ParamSpec>, b: ReadonlyMap<string, ParamSpec>): string | undefined => {
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

/** Checks one built graph against the data and returns how to feed it. */
const inspect = (
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

/**
 * Builds the {@link Programs} of a model on a backend. Building the first
 * graph (for `firstBatch` samples) happens at once, so a model that does not
 * fit the data fails here rather than mid-run.
 *
 * @internal
 */
export const programs = (
  model: Model,
  backend: Backend,
  data: DataShape,
  firstBatch: number,
): E.Either<TrainError, Programs> => {
  const graphs = new Map<number, ModelGraph>()
  const trainCache = new Map<number, Program>()
  const evalCache = new Map<number, Program>()
  const executables: Executable[] = []

  const graphFor = (batch: number, specs?: ReadonlyMap<string, ParamSpec>): E.Either<TrainError, ModelGraph> => {
    const cached = graphs.get(batch)
    if (cached) return E.right(cached)
    const built = model(batch)
    if (E.isLeft(built)) return E.left(configError(`cannot build the model for batch ${batch}: ${built.left.message}`))
    if (specs !== undefined) {
      const mismatch = sameSpecs(specs, paramSpecs(built.right.graph))
      if (mismatch !== undefined) {
        return E.left(configError(`the model's graph for batch ${batch} does not match the one for batch ${firstBatch}: ${mismatch}`))
      }
    }
    graphs.set(batch, built.right)
    return E.right(built.right)
  }

  const compile = (
    batch: number,
    cache: Map<number, Program>,
    make: (built: ModelGraph) => E.Either<TrainError, { graph: ModelGraph['graph']; outputs: NodeId[]; predicts: boolean }>,
    specs: ReadonlyMap<string, ParamSpec>,
  ): E.Either<TrainError, Program> => {
    const cached = cache.get(batch)
    if (cached) return E.right(cached)
    const built = graphFor(batch, specs)
    if (E.isLeft(built)) return built
    const feeds = inspect(built.right, batch, data)
    if (E.isLeft(feeds)) return feeds
    const target = make(built.right)
    if (E.isLeft(target)) return target
    const { x, t } = feeds.right
    const batchInputs = t === undefined ? [x.name] : [x.name, t.name]
    const exec = backend.compile(target.right.graph, target.right.outputs, { batchInputs })
    if (E.isLeft(exec)) return E.left(configError(`${backend.name} backend cannot compile the model: ${exec.left.message}`))
    executables.push(exec.right)
    const program: Program = { exec: exec.right, x, t, predicts: target.right.predicts }
    cache.set(batch, program)
    return E.right(program)
  }

  const first = graphFor(firstBatch)
  if (E.isLeft(first)) return first
  const specs = paramSpecs(first.right.graph)
  const checked = inspect(first.right, firstBatch, data)
  if (E.isLeft(checked)) return checked
  if (specs.size === 0) return E.left(configError('the model has no parameters to train'))
  const paramNames = [...specs.keys()]

  return E.right({
    specs,
    paramNames,
    training: (batch) =>
      compile(
        batch,
        trainCache,
        (built) => {
          const byName = paramsOf(built.graph)
          const ids = paramNames.map((name) => byName.get(name)!)
          const derived = grad(built.graph, built.loss, ids)
          if (E.isLeft(derived)) return E.left(configError(`cannot differentiate the loss: ${derived.left.message}`))
          return E.right({ graph: derived.right.graph, outputs: [built.loss, ...derived.right.gradients], predicts: false })
        },
        specs,
      ),
    evaluation: (batch) =>
      compile(
        batch,
        evalCache,
        (built) =>
          E.right({
            graph: built.graph,
            outputs: built.outputs === undefined ? [built.loss] : [built.loss, built.outputs],
            predicts: built.outputs !== undefined,
          }),
        specs,
      ),
    dispose: async () => {
      const all = executables.splice(0)
      trainCache.clear()
      evalCache.clear()
      await Promise.all(all.map((exec) => exec.dispose()))
    },
  })
}
