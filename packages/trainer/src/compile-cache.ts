import type { Backend, Executable, StatefulExecutable } from '@backprop/backend'
import { type Graph, type NodeId, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { configError, type TrainError } from './errors.js'
import { type GradientGraph, gradientGraph } from './gradient-graph.js'
import type { Model, ModelGraph } from './model.js'
import { type DataShape, type FeedShape, modelInputs, specMismatch } from './model-inputs.js'
import type { Optimizer, StepInfo } from './optimizer.js'
import { type ParamSpec, paramSpecs } from './params.js'
import { compileUpdating } from './update-executable.js'
import { appendUpdate, type ScalarInput, type UpdateGraph } from './update-graph.js'

/**
 * A compiled program for one batch size. The gradient program computes
 * `[loss, ...gradients, ...layer statistics, ...metrics]` (one gradient per
 * parameter, in `paramNames` order); the evaluation program `[loss]` or
 * `[loss, outputs]`, then the metrics.
 *
 * @internal
 */
export interface Program {
  readonly exec: Executable
  readonly x: FeedShape
  readonly t: FeedShape | undefined
  /** True when the program's second output is the predictions. */
  readonly predicts: boolean
  /** Where the metrics' outputs start (they are the last outputs, in {@link Programs.metricNames} order). */
  readonly metricsAt: number
}

/**
 * A compiled training step for one batch size: a run computes
 * `[loss, ...checks, ...layer statistics, ...metrics]` and leaves the
 * updated parameters and optimiser slots in the executable (the backend's
 * buffers, or the trainer's when the backend cannot hold them). `checks[i]`
 * is 0 when the new value of parameter `checked[i]` is finite everywhere,
 * NaN otherwise.
 *
 * @internal
 */
export interface UpdateProgram {
  readonly exec: StatefulExecutable
  readonly x: FeedShape
  readonly t: FeedShape | undefined
  /** The scalar inputs fed before every step. */
  readonly scalars: readonly ScalarInput[]
  /** The scalars' values at a step, by key. */
  readonly values: (info: StepInfo) => Readonly<Record<string, number>>
  /** The optimiser's slots (zero before the first step), by name. */
  readonly slots: ReadonlyMap<string, ParamSpec>
  /** The parameter each check output after the loss watches. */
  readonly checked: readonly string[]
  /** Where the metrics' outputs start (after the checks and statistics). */
  readonly metricsAt: number
}

/**
 * The programs of a model, built, differentiated and compiled once per
 * batch size and cached, since graphs have static shapes and a run meets at
 * most a few sizes (the batch size, a smaller last batch, the test chunks).
 *
 * @internal
 */
export interface Programs {
  /** The parameters every graph of the model has, in graph order. */
  readonly specs: ReadonlyMap<string, ParamSpec>
  /** Parameter names in the order of the gradient program's gradients. */
  readonly paramNames: readonly string[]
  /**
   * With per-layer statistics: the number of units of each layer. Gradient
   * and update programs then have three statistics outputs per layer (see
   * `appendLayerStats`).
   */
  readonly layerWidths: readonly number[] | undefined
  /** The names of the model's metrics, in the order of every program's last outputs. */
  readonly metricNames: readonly string[]
  /** The training step for `batch` samples: gradients, the optimiser's update, applied in place. */
  updating(batch: number): E.Either<TrainError, UpdateProgram>
  /** The program computing the loss and its gradients for `batch` samples (to tell a broken gradient from a broken update). */
  gradients(batch: number): E.Either<TrainError, Program>
  /** The program computing the loss (and predictions) for `batch` samples. */
  evaluation(batch: number): E.Either<TrainError, Program>
  /** Disposes every compiled executable. */
  dispose(): Promise<void>
}

/**
 * Builds the {@link Programs} of a model on a backend. Building the first
 * graph (for `firstBatch` samples) happens at once, so a model that does not
 * fit the data fails here rather than mid-run. Without an `optimizer`
 * (evaluating only), there are no update programs.
 *
 * @internal
 */
export const programs = (
  model: Model,
  backend: Backend,
  data: DataShape,
  firstBatch: number,
  optimizer?: Optimizer,
  layerStats = false,
): E.Either<TrainError, Programs> => {
  const graphs = new Map<number, ModelGraph>()
  let metricNames: readonly string[] = []
  const caches = { gradients: new Map<number, Program>(), evaluation: new Map<number, Program>(), updating: new Map<number, UpdateProgram>() }
  const executables: Executable[] = []
  const disposals: Promise<void>[] = []

  /** The model's graph for `batch`, checked against the first one's parameters (`specs`) and metrics. */
  const graphFor = (batch: number, specs?: ReadonlyMap<string, ParamSpec>): E.Either<TrainError, ModelGraph> => {
    const cached = graphs.get(batch)
    if (cached) return E.right(cached)
    const built = model(batch)
    if (E.isLeft(built)) return E.left(configError(`cannot build the model for batch ${batch}: ${built.left.message}`))
    if (specs !== undefined) {
      const names = Object.keys(built.right.metrics ?? {})
      if (names.join() !== metricNames.join()) {
        return E.left(configError(`the model's graph for batch ${batch} names the metrics [${names}], the one for batch ${firstBatch} [${metricNames}]`))
      }
      const mismatch = specMismatch(specs, paramSpecs(built.right.graph))
      if (mismatch !== undefined) {
        return E.left(configError(`the model's graph for batch ${batch} does not match the one for batch ${firstBatch}: ${mismatch}`))
      }
    }
    graphs.set(batch, built.right)
    return E.right(built.right)
  }

  const first = graphFor(firstBatch)
  if (E.isLeft(first)) return first
  const specs = paramSpecs(first.right.graph)
  metricNames = Object.keys(first.right.metrics ?? {})
  const metricsOf = (built: ModelGraph): NodeId[] => metricNames.map((name) => built.metrics![name]!)
  const checked = modelInputs(first.right, firstBatch, data)
  if (E.isLeft(checked)) return checked
  if (specs.size === 0) return E.left(configError('the model has no parameters to train'))
  const paramNames = [...specs.keys()]
  const firstLayers = layerStats ? first.right.layers : undefined
  const layerWidths = firstLayers?.map((l) => sizeOf(first.right.graph.nodes[l.preActivation]!.shape) / firstBatch)

  /** How a program's samples are fed: `x`, `t` and the names of the inputs with a batch axis. */
  type Feeding = { readonly x: FeedShape; readonly t: FeedShape | undefined; readonly batchInputs: readonly string[] }

  /**
   * The program of `kind` for `batch` from the cache, or built by `make` (a
   * graph and the outputs that precede the metrics), compiled by `link`
   * with the metrics appended to the outputs, and cached.
   */
  const compile = <M extends { readonly graph: Graph; readonly outputs: readonly NodeId[] }, P>(
    kind: keyof typeof caches,
    batch: number,
    make: (built: ModelGraph) => E.Either<TrainError, M>,
    link: (made: M, outputs: readonly NodeId[], feeding: Feeding) => E.Either<TrainError, P>,
  ): E.Either<TrainError, P> => {
    const cache = caches[kind] as Map<number, P>
    const cached = cache.get(batch)
    if (cached) return E.right(cached)
    const built = graphFor(batch, specs)
    if (E.isLeft(built)) return built
    const feeds = modelInputs(built.right, batch, data)
    if (E.isLeft(feeds)) return feeds
    const made = make(built.right)
    if (E.isLeft(made)) return made
    const { x, t } = feeds.right
    const batchInputs = t === undefined ? [x.name] : [x.name, t.name]
    const program = link(made.right, [...made.right.outputs, ...metricsOf(built.right)], { x, t, batchInputs })
    if (E.isRight(program)) cache.set(batch, program.right)
    return program
  }

  const failed = (e: { readonly message: string }): TrainError => configError(`${backend.name} backend cannot compile the model: ${e.message}`)
  const kept = <X extends Executable>(exec: X): X => (executables.push(exec), exec)

  /** Compiles a program that returns its outputs; `predicts` when the second is the predictions. */
  const plain =
    (predicts: boolean) =>
    (made: { readonly graph: Graph; readonly outputs: readonly NodeId[] }, outputs: readonly NodeId[], feeding: Feeding) =>
      E.bimap(failed, (exec: Executable): Program => ({ exec: kept(exec), x: feeding.x, t: feeding.t, predicts, metricsAt: made.outputs.length }))(
        backend.compile(made.graph, outputs, { batchInputs: feeding.batchInputs }),
      )

  const gradients = (batch: number): E.Either<TrainError, Program> =>
    compile(
      'gradients',
      batch,
      (built) =>
        E.map((g: GradientGraph) => ({ graph: g.graph, outputs: [built.loss, ...g.params.map((p) => p.grad), ...g.stats] }))(
          gradientGraph(built, paramNames, layerWidths, firstBatch),
        ),
      plain(false),
    )

  const updating = (batch: number): E.Either<TrainError, UpdateProgram> =>
    optimizer === undefined ? E.left(configError('no optimiser to train with')) : compile(
      'updating',
      batch,
      (built) =>
        pipe(
          gradientGraph(built, paramNames, layerWidths, firstBatch),
          E.flatMap((g) =>
            E.map((update: UpdateGraph) => ({ graph: update.graph, outputs: [built.loss, ...update.checks, ...g.stats], update }))(
              appendUpdate(g.graph, g.params, specs, optimizer),
            ),
          ),
        ),
      ({ graph, outputs: before, update }, outputs, feeding) =>
        E.bimap(
          failed,
          (exec: StatefulExecutable): UpdateProgram => ({
            exec: kept(exec),
            x: feeding.x,
            t: feeding.t,
            scalars: update.scalars,
            values: update.values,
            slots: update.slots,
            checked: paramNames,
            metricsAt: before.length,
          }),
        )(compileUpdating(backend, graph, outputs, update.updates, feeding.batchInputs, (disposal) => disposals.push(disposal))),
    )

  return E.right({
    specs,
    paramNames,
    layerWidths,
    metricNames,
    updating,
    gradients,
    evaluation: (batch) =>
      compile(
        'evaluation',
        batch,
        (built) => E.right({ graph: built.graph, outputs: built.outputs === undefined ? [built.loss] : [built.loss, built.outputs] }),
        (made, outputs, feeding) => plain(made.outputs.length === 2)(made, outputs, feeding),
      ),
    dispose: async () => {
      const all = executables.splice(0)
      for (const cache of Object.values(caches)) cache.clear()
      await Promise.all([...disposals.splice(0), ...all.map((exec) => exec.dispose())])
    },
  })
}
