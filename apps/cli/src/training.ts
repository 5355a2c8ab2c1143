import { existsSync } from 'node:fs'
import type { Backend } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import { parseOrtSpec, ortBackend } from '@backprop/backend-ort'
import { parseWorkersSpec, type WorkersBackend, workersBackend } from '@backprop/backend-workers'
import { loadCsv, loadIris, loadMnist, type Split } from '@backprop/data'
import type { DType } from '@backprop/graph'
import { type Activation, type Architecture, type FeedForwardSpec, feedForward, feedForwardParams, initParams, type Loss, layered } from '@backprop/nn'
import { adam, gd, loadParams, momentum, type Optimizer, type Params, sgd, type TrainEvent, train } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { finalize, type Observable } from 'rxjs'
import { choiceOption, listOption, numberOption, type ParsedArgs } from './args.js'
import { describeModel } from './model-description.js'
import { netFitsData, readNetFile } from './net-file.js'

/** Hidden-layer activations `train` offers. */
export const hiddenNames = ['logsig', 'tanh', 'relu'] as const
/** Losses `train` offers; each picks its output activation. */
export const trainLosses = ['sse', 'cross-entropy', 'softmax-cross-entropy'] as const
/** Optimisers `train` offers. */
export const optimizerNames = ['gd', 'sgd', 'momentum', 'adam'] as const

/**
 * Everything that defines a training run, as `backprop train` reads it from
 * its options and the dashboard from its form. Defaults give the main job:
 * a 784-128-10 relu network with softmax cross-entropy on MNIST, trained
 * with momentum.
 */
export interface TrainSettings {
  readonly dataset: string
  /** Layer sizes; by default `[features, 128, targets]` of the data set. */
  readonly layers?: readonly number[]
  readonly hidden: (typeof hiddenNames)[number]
  readonly loss: (typeof trainLosses)[number]
  readonly optimizer: (typeof optimizerNames)[number]
  readonly lr: number
  readonly batch: number
  readonly epochs: number
  readonly seed: number
  readonly dtype: DType
  readonly backend: string
  readonly reduction: 'mean' | 'sum'
  readonly trainSize?: number
  readonly testSize?: number
  /** CSV only: the target column(s). */
  readonly target?: readonly string[]
  /** Write the parameters to this file after every epoch (atomically). */
  readonly checkpoint?: string
  /** Start from the parameters in this checkpoint file instead of a fresh initialisation. */
  readonly resume?: string
  /** Train the general feed-forward network of this spec file instead of a layered one. */
  readonly net?: string
  /** Add per-layer (per unit group) delta RMS and gradient and weight norms to epoch events. */
  readonly layerStats?: boolean
}

/** The settings `npm start` trains with. */
export const defaultSettings: TrainSettings = {
  dataset: 'mnist',
  hidden: 'relu',
  loss: 'softmax-cross-entropy',
  optimizer: 'momentum',
  lr: 0.05,
  batch: 64,
  epochs: 10,
  seed: 1,
  dtype: 'f32',
  backend: 'cpu',
  reduction: 'mean',
}

/** The options of `backprop train`. */
export const trainOptions = {
  dataset: 'string',
  layers: 'string',
  hidden: 'string',
  loss: 'string',
  optimizer: 'string',
  lr: 'string',
  batch: 'string',
  epochs: 'string',
  seed: 'string',
  dtype: 'string',
  backend: 'string',
  reduction: 'string',
  'train-size': 'string',
  'test-size': 'string',
  target: 'string',
  checkpoint: 'string',
  resume: 'string',
  'log-dir': 'string',
  net: 'string',
  'layer-stats': 'flag',
  json: 'flag',
} as const

const optionalInt = (name: string, value: string | true | undefined) =>
  value === undefined ? E.right(undefined) : numberOption(name, value, 0, { integer: true, min: 1 })

/** Reads and checks `train`'s options; a Left is one line naming the option. */
export const settingsFromArgs = ({ positional, options: o }: ParsedArgs): E.Either<string, TrainSettings> => {
  if (positional.length > 0) return E.left(`train takes no arguments, got '${positional[0]}'`)
  const clash = o['net'] !== undefined ? ['layers', 'hidden', 'loss'].find((k) => o[k] !== undefined) : undefined
  if (clash) return E.left(`--net and --${clash} both describe the network; give one (the --net file holds its units and loss)`)
  const d = defaultSettings
  return pipe(
    E.Do,
    E.bind('layers', () => {
      if (o['layers'] === undefined) return E.right(undefined)
      const sizes = listOption(o['layers']).map(Number)
      return sizes.length >= 2 && sizes.every((n) => Number.isInteger(n) && n >= 1)
        ? E.right(sizes)
        : E.left(`--layers must be at least two positive integers like 784,128,10, got '${o['layers']}'`)
    }),
    E.bind('hidden', () => choiceOption('hidden', o['hidden'], hiddenNames, d.hidden)),
    E.bind('loss', () => choiceOption('loss', o['loss'], trainLosses, d.loss)),
    E.bind('optimizer', () => choiceOption('optimizer', o['optimizer'], optimizerNames, d.optimizer)),
    E.bind('lr', () => numberOption('lr', o['lr'], d.lr, { min: 0 })),
    E.bind('batch', () => numberOption('batch', o['batch'], d.batch, { integer: true, min: 1 })),
    E.bind('epochs', () => numberOption('epochs', o['epochs'], d.epochs, { integer: true, min: 1 })),
    E.bind('seed', () => numberOption('seed', o['seed'], d.seed, { integer: true, min: 0 })),
    E.bind('dtype', () => choiceOption('dtype', o['dtype'], ['f32', 'f64'] as const, d.dtype)),
    E.bind('reduction', () => choiceOption('reduction', o['reduction'], ['mean', 'sum'] as const, d.reduction)),
    E.bind('trainSize', () => optionalInt('train-size', o['train-size'])),
    E.bind('testSize', () => optionalInt('test-size', o['test-size'])),
    E.map((s) => ({
      ...s,
      dataset: typeof o['dataset'] === 'string' ? o['dataset'] : d.dataset,
      backend: typeof o['backend'] === 'string' ? o['backend'] : d.backend,
      ...(o['target'] !== undefined ? { target: listOption(o['target']) } : {}),
      ...(typeof o['checkpoint'] === 'string' ? { checkpoint: o['checkpoint'] } : {}),
      ...(typeof o['resume'] === 'string' ? { resume: o['resume'] } : {}),
      ...(typeof o['net'] === 'string' ? { net: o['net'] } : {}),
      ...(o['layer-stats'] === true ? { layerStats: true } : {}),
    })),
  )
}

/** Loads the data set a run names: `mnist`, `iris`, or a CSV file. */
export const loadDataset = (s: TrainSettings): E.Either<string, Split> => {
  const loaded =
    s.dataset === 'mnist'
      ? loadMnist({ trainSize: s.trainSize, testSize: s.testSize, seed: s.seed })
      : s.dataset === 'iris'
        ? loadIris({ seed: s.seed, normalize: true })
        : s.dataset.endsWith('.csv') || existsSync(s.dataset)
          ? loadCsv(s.dataset, { normalize: 'standard', seed: s.seed, ...(s.target ? { target: [...s.target] } : {}) })
          : undefined
  if (loaded === undefined) return E.left(`unknown dataset '${s.dataset}' (expected mnist, iris or a .csv file)`)
  return pipe(
    loaded,
    E.mapLeft((e) => e.message),
    E.map((split) => (s.dataset === 'mnist' || s.trainSize === undefined ? split : { ...split, train: { ...split.train } })),
  )
}

/** The output activation each loss is paired with (the lecture's matched pairs). */
const outputActivation: Record<TrainSettings['loss'], Activation> = {
  sse: 'linear',
  'cross-entropy': 'logsig',
  'softmax-cross-entropy': 'softmax',
}

const makeOptimizer = (s: TrainSettings): Optimizer => {
  switch (s.optimizer) {
    case 'gd':
      return gd({ lr: s.lr })
    case 'sgd':
      return sgd({ lr: s.lr })
    case 'momentum':
      return momentum({ lr: s.lr, beta: 0.9 })
    case 'adam':
      return adam({ lr: s.lr })
  }
}

/** Each layer's activation: the hidden one, then the output activation the loss pairs with. */
export const activationsFor = (sizes: readonly number[], s: Pick<TrainSettings, 'hidden' | 'loss'>): Activation[] => [
  ...Array.from({ length: Math.max(0, sizes.length - 2) }, () => s.hidden as Activation),
  outputActivation[s.loss],
]

/**
 * The backend a run names: `cpu`, `workers[:N]` (N participants: the calling
 * thread and N-1 worker threads, all cores by default), or `ort[:T]` (ONNX
 * Runtime with T intra-op threads, 1 by default).
 */
export const makeBackend = (name: string): E.Either<string, Backend> =>
  name === 'cpu'
    ? E.right(cpuBackend())
    : name === 'workers' || name.startsWith('workers:')
      ? pipe(parseWorkersSpec(name), E.map(workersBackend))
      : name === 'ort' || name.startsWith('ort:')
        ? pipe(parseOrtSpec(name), E.map(ortBackend))
        : E.left(`unknown backend '${name}' (expected cpu, workers[:N] or ort[:T])`)

/** A run ready to start: its data and the cold stream of its events. */
export interface PreparedRun {
  readonly settings: TrainSettings
  /** Layer sizes of a layered run; for a general network, its inputs and outputs. */
  readonly sizes: readonly number[]
  /** The general network of a `--net` run. */
  readonly net?: FeedForwardSpec
  readonly split: Split
  readonly events: Observable<TrainEvent>
}

/**
 * Checks the settings against the data and builds the run: loads the data
 * set, checks that the layer sizes fit it, initialises parameters from the
 * seed and returns the (cold) event stream. Nothing trains until it is
 * subscribed to; aborting `signal` (Ctrl-C, the dashboard's stop) stops
 * the run within a step.
 */
export const prepareRun = (s: TrainSettings, signal?: AbortSignal): E.Either<string, PreparedRun> => {
  const backend = makeBackend(s.backend)
  if (E.isLeft(backend)) return backend
  // Worker threads boot while the data loads, off the first epoch's clock; they end with the run.
  const started = startThreads(backend.right)
  const run = s.net !== undefined ? prepareNetRun(s, s.net, backend.right, signal) : prepareLayeredRun(s, backend.right, signal)
  if (E.isLeft(run)) {
    void started()
    return run
  }
  return E.right({ ...run.right, events: run.right.events.pipe(finalize(() => void started())) })
}

/** Starts a workers backend's threads now (see `WorkersBackend.start`); the function that ends them. */
const startThreads = (backend: Backend): (() => Promise<void>) => {
  if (!isWorkersBackend(backend)) return async () => undefined
  backend.start()
  return () => backend.dispose()
}

const isWorkersBackend = (backend: Backend): backend is WorkersBackend => backend.name === 'workers' && 'start' in backend

/** The training options every run shares, whatever its model. */
const runOptions = (s: TrainSettings, split: Split, architecture: Architecture, signal: AbortSignal | undefined) => ({
  data: split.train,
  test: split.test,
  optimizer: makeOptimizer(s),
  epochs: s.epochs,
  batchSize: s.batch,
  seed: s.seed,
  layerStats: s.layerStats === true,
  ...(signal !== undefined ? { signal } : {}),
  ...(s.checkpoint !== undefined ? { checkpoint: { path: s.checkpoint, model: describeModel(s, split, architecture) } } : {}),
})

/** Parameters from `--resume`, or fresh ones from `init`. */
const startParams = (s: TrainSettings, init: () => E.Either<{ readonly message: string }, Params>): E.Either<string, Params> => {
  const start: E.Either<{ readonly message: string }, Params> = s.resume !== undefined ? loadParams(s.resume) : init()
  return pipe(start, E.mapLeft((e) => e.message))
}

const prepareLayeredRun = (s: TrainSettings, backend: Backend, signal: AbortSignal | undefined): E.Either<string, PreparedRun> =>
  pipe(
    E.Do,
    E.bind('split', () => loadDataset(s)),
    E.bind('sizes', ({ split }) => {
      const { features, targets } = split.train
      const sizes = s.layers ?? [features, 128, targets]
      if (sizes[0] !== features) return E.left(`--layers starts with ${sizes[0]} but the data set has ${features} features`)
      if (sizes[sizes.length - 1] !== targets) {
        return E.left(`--layers ends with ${sizes[sizes.length - 1]} but the data set has ${targets} targets`)
      }
      return E.right(sizes)
    }),
    E.bind('activations', ({ sizes }) => E.right(activationsFor(sizes, s))),
    E.bind('params', ({ sizes, activations }) =>
      startParams(s, () => initParams({ sizes, activations, dtype: s.dtype }, { seed: s.seed, scheme: 'auto' })),
    ),
    E.tap(({ sizes, activations }) =>
      pipe(
        layered({ sizes, activations, loss: s.loss as Loss, reduction: s.reduction, batch: 1, dtype: s.dtype }),
        E.mapLeft((e) => e.message),
      ),
    ),
    E.map(({ split, sizes, activations, params }) => ({
      settings: s,
      sizes,
      split,
      events: train({
        model: (batch) => layered({ sizes, activations, loss: s.loss as Loss, reduction: s.reduction, batch, dtype: s.dtype }),
        backend,
        params,
        ...runOptions(s, split, { kind: 'layered', sizes, activations, loss: s.loss as Loss }, signal),
      }),
    })),
  )

/** A run of `--net FILE.json`: the general network of the file, weights from the file or the seed. */
const prepareNetRun = (s: TrainSettings, path: string, backend: Backend, signal: AbortSignal | undefined): E.Either<string, PreparedRun> =>
  pipe(
    E.Do,
    E.bind('read', () => readNetFile(path)),
    E.bind('split', () => loadDataset(s)),
    E.bind('net', ({ read, split }) => netFitsData(path, read, split.train)),
    E.bind('params', ({ net }) => startParams(s, () => feedForwardParams(net, { seed: s.seed, dtype: s.dtype }))),
    E.map(({ split, net, params }) => ({
      settings: { ...s, loss: net.loss },
      sizes: [net.inputs, net.outputs.length],
      net,
      split,
      events: train({
        model: (batch) => feedForward({ ...net, batch, reduction: s.reduction, dtype: s.dtype }),
        backend,
        params,
        ...runOptions(s, split, { kind: 'feedforward', spec: net }, signal),
      }),
    })),
  )
