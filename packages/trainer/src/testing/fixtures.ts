// Shared fixtures for the trainer's tests: small data sets, models, seeded
// parameters, and a backend wrapper that counts what the trainer asks of it.
import { type Backend, type Executable, type Feeds, isStateful, type ParamStore } from '@backprop/backend'
import { type Dataset, rng } from '@backprop/data'
import { buildOrThrow, emptyGraph, type Graph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import type { Model } from '../model.js'
import { type Params, paramSpecs } from '../params.js'

/** n samples of x in [-1, 1]^2 with t = 2 x1 - 3 x2 + 0.5 (a regression set). */
export const linearData = (n: number, seed: number, name = 'linear'): Dataset => {
  const next = rng(seed)
  const x = new Float64Array(2 * n)
  const t = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    x[2 * i] = 2 * next() - 1
    x[2 * i + 1] = 2 * next() - 1
    t[i] = 2 * x[2 * i]! - 3 * x[2 * i + 1]! + 0.5
  }
  return { name, size: n, features: 2, targets: 1, x, t }
}

/** The four XOR samples with one target each. */
export const xorData: Dataset = {
  name: 'xor',
  size: 4,
  features: 2,
  targets: 1,
  x: Float64Array.of(0, 0, 0, 1, 1, 0, 1, 1),
  t: Float64Array.of(0, 1, 1, 0),
}

/** Uniform values in [-scale, scale] for every parameter of `graph`, from `seed`. */
export const seededParams = (graph: Graph, seed: number, scale = 0.5): Params => {
  const next = rng(seed)
  const out: Record<string, Params[string]> = {}
  for (const [name, spec] of paramSpecs(graph)) {
    const n = spec.shape.reduce((a, d) => a * d, 1)
    const data = spec.dtype === 'f32' ? new Float32Array(n) : new Float64Array(n)
    for (let i = 0; i < n; i++) data[i] = scale * (2 * next() - 1)
    out[name] = { shape: spec.shape, dtype: spec.dtype, data }
  }
  return out
}

/**
 * A model whose loss is `sum(log(x * w))` for a scalar parameter `w`: with
 * x = 1 and sgd at lr 2 from w = 1, the first step moves w to -1 and the
 * second step's loss is log(-1) = NaN.
 */
export const logModel: Model = (batch) => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [batch, 1])
    b.input('t', [batch, 1])
    return b.sum(b.log(b.mul(x, b.param('w'))))
  })
  return E.right({ graph, loss: result })
}

/** A model whose loss is `sum(sqrt(x * w))`: finite at w = 0, with an infinite gradient there. */
export const sqrtModel: Model = (batch) => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [batch, 1])
    b.input('t', [batch, 1])
    return b.sum(b.sqrt(b.mul(x, b.param('w'))))
  })
  return E.right({ graph, loss: result })
}

/** What a {@link countingBackend} has seen. */
export interface Counts {
  compiles: number[]
  runs: number
  /** The names fed to each run, in order. */
  feeds: string[][]
  /** The feeds of each run, in order (the tensors the trainer gave). */
  fed: Feeds[]
  disposes: number
  /** Calls of `params.read` on the executables that hold parameters. */
  reads: number
  /** For each call of an executable's `warmUp`, how many runs (of any executable) came before it. */
  warmUps: number[]
  /** Resolves once every executable compiled so far has been disposed. */
  allDisposed: () => Promise<void>
}

/**
 * Wraps a backend to count compiles (by the batch size of input `x`), runs,
 * parameter reads, warm-ups and disposals. Its executables hold parameters when the inner ones do,
 * unless `holdsParams` is false: then it is a backend that cannot, and the
 * trainer takes the path that feeds them.
 */
export const countingBackend = (inner: Backend, holdsParams = true): { backend: Backend; counts: Counts } => {
  const waiting: (() => void)[] = []
  const counts: Counts = {
    compiles: [],
    runs: 0,
    feeds: [],
    fed: [],
    disposes: 0,
    reads: 0,
    warmUps: [],
    allDisposed: () =>
      counts.disposes === counts.compiles.length && counts.compiles.length > 0
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push(resolve)),
  }
  const counted = (params: ParamStore): ParamStore => ({
    ...params,
    read: () => {
      counts.reads += 1
      return params.read()
    },
  })
  const backend: Backend = {
    name: inner.name,
    compile: (graph, outputs, options) => {
      const compiled = inner.compile(graph, outputs, options)
      if (E.isLeft(compiled)) return compiled
      const x = graph.nodes.find((n) => n.op === 'input' && n.attrs.name === 'x')
      counts.compiles.push(x?.shape[0] ?? -1)
      const exec: Executable = {
        feeds: compiled.right.feeds,
        outputs: compiled.right.outputs,
        run: (feeds) => {
          counts.runs += 1
          counts.feeds.push(Object.keys(feeds))
          counts.fed.push(feeds)
          return compiled.right.run(feeds)
        },
        dispose: async () => {
          await compiled.right.dispose()
          counts.disposes += 1
          if (counts.disposes === counts.compiles.length) waiting.splice(0).forEach((resolve) => resolve())
        },
        ...(holdsParams && isStateful(compiled.right) ? { params: counted(compiled.right.params) } : {}),
        ...(compiled.right.warmUp === undefined
          ? {}
          : {
              warmUp: () => {
                counts.warmUps.push(counts.runs)
                compiled.right.warmUp!()
              },
            }),
      }
      return E.right(exec)
    },
  }
  return { backend, counts }
}

/** Resolves after `n` turns of the event loop (no timers involved). */
export const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}
