import { type Backend, type Executable, isStateful, type StatefulExecutable } from '@backprop/backend'
import { grad } from '@backprop/diff'
import { build, type DType, type Graph, inputsOf, type NodeId, paramsOf, type Shape, sameShape, showShape, sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { configError, type TrainError } from './errors.js'
import { appendLayerStats } from './layer-stats.js'
import type { Model, ModelGraph } from './model.js'
import type { GraphParam, Optimizer, StepInfo, UpdateInputs, UpdateNodes } from './optimizer.js'
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
  /** Where the metrics' outputs start (they are the last outputs, in {@link Programs.metricNames} order). */
  readonly metricsAt: number
}

/** A per-step scalar input of an {@link UpdateProgram}. @internal */
export interface ScalarInput {
  /** The input's name in the graph, `__<key>`. */
  readonly name: string
  /** The optimiser's key for it (see `UpdateNodes.scalars`). */
  readonly key: string
  /** Its dtype. */
  readonly dtype: DType
}

/**
 * A compiled in-place training program for one batch size: a run computes
 * `[loss, ...checks]` and leaves the updated parameters and optimiser slots
 * in the executable. `checks[i]` is `sum(0 * w')` for the new value w' of
 * parameter `checked[i]`: 0 when w' is finite everywhere, NaN otherwise.
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
  /** Where the metrics' outputs start (after the checks). */
  readonly metricsAt: number
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
  /**
   * With per-layer statistics: the number of units of each layer. Training
   * and in-place programs then end with three statistics outputs per layer
   * (see `appendLayerStats`).
   */
  readonly layerWidths: readonly number[] | undefined
  /** The names of the model's metrics, in the order of every program's last outputs. */
  readonly metricNames: readonly string[]
  /** The program computing the loss and its gradients for `batch` samples. */
  training(batch: number): E.Either<TrainError, Program>
  /**
   * The in-place program for `batch` samples, or `undefined` when the
   * optimiser has no usable graph form, its names clash with the model's,
   * or the backend does not hold parameters: the caller then uses
   * {@link Programs.training} and applies the optimiser's `step` itself.
   */
  updating(batch: number): E.Either<TrainError, UpdateProgram | undefined>
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

/** Thrown inside an update build when a generated name is taken by the model. */
class NameClash extends Error {}

/** The update graph of `optimizer` appended to `derived`, with its scalars, slots and checks. */
const appendUpdate = (
  derived: Graph,
  params: readonly GraphParam[],
  specs: ReadonlyMap<string, ParamSpec>,
  optimizer: Optimizer,
): E.Either<TrainError, { graph: Graph; form: UpdateNodes; checks: NodeId[]; scalars: ScalarInput[]; slots: Map<string, ParamSpec> }> | undefined => {
  const taken = new Set([...inputsOf(derived).keys(), ...paramsOf(derived).keys()])
  const scalars: ScalarInput[] = []
  const slots = new Map<string, ParamSpec>()
  const fresh = (name: string): string => {
    if (taken.has(name)) throw new NameClash(name)
    return name
  }
  let built
  try {
    built = build(derived, (b) => {
      const inputs: UpdateInputs = {
        scalar: (key, dtype) => {
          const known = scalars.find((s) => s.key === key && s.dtype === dtype)
          if (known) return b.input(known.name, [], dtype)
          // One input per key, and one per dtype should a model mix them.
          const name = fresh(scalars.some((s) => s.key === key) ? `__${key}:${dtype}` : `__${key}`)
          scalars.push({ name, key, dtype })
          return b.input(name, [], dtype)
        },
        slot: (param, slot) => {
          const spec = specs.get(param)
          if (spec === undefined) throw new Error(`the optimiser asked for slot '${slot}' of '${param}', which is not a parameter`)
          const name = `${param}:${slot}`
          if (!slots.has(name)) slots.set(fresh(name), spec)
          return { name, node: b.param(name, spec.shape, spec.dtype) }
        },
      }
      const form = optimizer.updateGraph!.append(b, params, inputs)
      const next = new Map(form.updates.map((u) => [u.param, u.value]))
      // 0 * w' is 0 for every finite w' and NaN for NaN and both infinities.
      const checks = params.map(({ name }) => {
        const value = next.get(name)
        if (value === undefined) throw new Error(`the ${optimizer.name} update graph gives no new value for '${name}'`)
        return b.sum(b.mul(b.scalar(0, b.node(value).dtype), value))
      })
      return { form, checks }
    })
  } catch (e) {
    if (e instanceof NameClash) return undefined
    throw e
  }
  if (E.isLeft(built)) return E.left(configError(`cannot build the ${optimizer.name} update graph: ${built.left.message}`))
  return E.right({ graph: built.right.graph, form: built.right.result.form, checks: built.right.result.checks, scalars, slots })
}

/**
 * Builds the {@link Programs} of a model on a backend. Building the first
 * graph (for `firstBatch` samples) happens at once, so a model that does not
 * fit the data fails here rather than mid-run. With an `optimizer` that has
 * a graph form ({@link Optimizer.updateGraph}, still mirroring its `step`),
 * {@link Programs.updating} tries the in-place path.
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
  const trainCache = new Map<number, Program>()
  const evalCache = new Map<number, Program>()
  const updateCache = new Map<number, UpdateProgram>()
  const executables: Executable[] = []
  const disposals: Promise<void>[] = []
  // Whether the backend holds parameters: unknown until the first in-place compile.
  let inPlace: 'untried' | 'held' | 'fed' =
    optimizer?.updateGraph !== undefined && optimizer.updateGraph.mirrors === optimizer.step ? 'untried' : 'fed'

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
    const outputs = [...target.right.outputs, ...metricsOf(built.right)]
    const exec = backend.compile(target.right.graph, outputs, { batchInputs })
    if (E.isLeft(exec)) return E.left(configError(`${backend.name} backend cannot compile the model: ${exec.left.message}`))
    executables.push(exec.right)
    const program: Program = { exec: exec.right, x, t, predicts: target.right.predicts, metricsAt: target.right.outputs.length }
    cache.set(batch, program)
    return E.right(program)
  }

  const first = graphFor(firstBatch)
  if (E.isLeft(first)) return first
  const specs = paramSpecs(first.right.graph)
  metricNames = Object.keys(first.right.metrics ?? {})
  const metricsOf = (built: ModelGraph): NodeId[] => metricNames.map((name) => built.metrics![name]!)
  const checked = inspect(first.right, firstBatch, data)
  if (E.isLeft(checked)) return checked
  if (specs.size === 0) return E.left(configError('the model has no parameters to train'))
  const paramNames = [...specs.keys()]
  const firstLayers = layerStats ? first.right.layers : undefined
  const layerWidths = firstLayers?.map((l) => sizeOf(first.right.graph.nodes[l.preActivation]!.shape) / firstBatch)

  /**
   * The graph of the loss's gradients, each parameter with its node and
   * gradient in `paramNames` order, and the per-layer statistics nodes
   * (none unless asked for).
   */
  const derive = (built: ModelGraph): E.Either<TrainError, { graph: Graph; params: GraphParam[]; stats: NodeId[] }> => {
    const byName = paramsOf(built.graph)
    const ids = paramNames.map((name) => byName.get(name)!)
    const layers = layerWidths === undefined ? [] : (built.layers ?? [])
    if (layers.length !== (layerWidths?.length ?? 0)) {
      return E.left(configError(`the model lists ${layers.length} layers for one batch size but ${layerWidths!.length} for batch ${firstBatch}`))
    }
    // The deltas come with the gradients: the walk passes through each layer's pre-activations anyway.
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

  const training = (batch: number): E.Either<TrainError, Program> =>
    compile(
      batch,
      trainCache,
      (built) =>
        E.map(({ graph, params, stats }: { graph: Graph; params: GraphParam[]; stats: NodeId[] }) => ({
          graph,
          outputs: [built.loss, ...params.map((p) => p.grad), ...stats],
          predicts: false,
        }))(derive(built)),
      specs,
    )

  const updating = (batch: number): E.Either<TrainError, UpdateProgram | undefined> => {
    if (inPlace === 'fed') return E.right(undefined)
    const cached = updateCache.get(batch)
    if (cached) return E.right(cached)
    const built = graphFor(batch, specs)
    if (E.isLeft(built)) return built
    const feeds = inspect(built.right, batch, data)
    if (E.isLeft(feeds)) return feeds
    const derived = derive(built.right)
    if (E.isLeft(derived)) return derived
    const update = appendUpdate(derived.right.graph, derived.right.params, specs, optimizer!)
    if (update === undefined) {
      inPlace = 'fed'
      return E.right(undefined)
    }
    if (E.isLeft(update)) return update
    const { graph, form, checks, scalars, slots } = update.right
    const { x, t } = feeds.right
    const batchInputs = t === undefined ? [x.name] : [x.name, t.name]
    const exec = backend.compile(graph, [built.right.loss, ...checks, ...derived.right.stats, ...metricsOf(built.right)], {
      batchInputs,
      updates: form.updates,
    })
    if (E.isLeft(exec)) return E.left(configError(`${backend.name} backend cannot compile the model: ${exec.left.message}`))
    if (!isStateful(exec.right)) {
      if (inPlace === 'held') {
        disposals.push(exec.right.dispose())
        return E.left(configError(`the ${backend.name} backend held the parameters for one batch size but not for batch ${batch}`))
      }
      // The backend does not hold parameters: compile the program that returns
      // the gradients before letting this one go, so that a backend whose
      // resources live as long as its executables keeps them.
      inPlace = 'fed'
      const fallback = training(batch)
      disposals.push(exec.right.dispose())
      return E.isLeft(fallback) ? fallback : E.right(undefined)
    }
    inPlace = 'held'
    executables.push(exec.right)
    const program: UpdateProgram = {
      exec: exec.right,
      x,
      t,
      scalars,
      values: (info) => form.scalars(info),
      slots,
      checked: paramNames,
      metricsAt: 1 + checks.length + derived.right.stats.length,
    }
    updateCache.set(batch, program)
    return E.right(program)
  }

  return E.right({
    specs,
    paramNames,
    layerWidths,
    metricNames,
    training,
    updating,
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
      updateCache.clear()
      await Promise.all([...disposals.splice(0), ...all.map((exec) => exec.dispose())])
    },
  })
}
