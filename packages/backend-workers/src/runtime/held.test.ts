import { type Backend, type Executable, type Feeds, isStateful, type ParamUpdate, type StatefulExecutable, type Tensor, tensor } from '@backprop/backend'
import { cpuBackend, evaluate } from '@backprop/backend-cpu'
import { type Builder, build, buildOrThrow, type DType, emptyGraph, type Graph, type NodeId, paramsOf } from '@backprop/graph'
import { initParams, layered, networkGradients } from '@backprop/nn'
import { adam, type DoneEvent, type EpochEvent, eventParams, momentum, type Params, type TrainOptions, train } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { makeWorkersBackend, type WorkersBackend } from '../backend.js'
import type { WorkersExecutable } from './executable.js'
import type { HeldWorkersExecutable } from './held.js'
import { workersBackend } from '../index.js'
import { maxRelativeError } from '../testing/sharded.js'
import { toyData, toyModel, toyParams } from '../testing/toy-training.js'

// ---------------------------------------------------------------- helpers

const sizes = [3, 5, 2] as const
const layers = ['W1', 'b1', 'W2', 'b2']

/** Deterministic values in [-1, 1). */
const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7))

const unwrap = <A>(e: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

type Rule = 'sgd' | 'adam'

/** A training step graph: loss, predictions `[M, 2]`, and the in-place update of every held parameter. */
interface Step {
  readonly graph: Graph
  readonly loss: NodeId
  readonly predictions: NodeId
  /** dE/dp of each layer parameter, in `W1, b1, W2, b2` order. */
  readonly gradients: readonly NodeId[]
  readonly updates: readonly ParamUpdate[]
  /** The held parameters: the layers' and, for Adam, the slots `<param>:m` and `<param>:v`. */
  readonly held: readonly string[]
}

/**
 * `p - lr g` (SGD); or, nonlinear in the batch sums, an Adam-like step
 * without bias correction: `m' = 0.9 m + 0.1 g`, `v' = 0.999 v + 0.001 g g`,
 * `p - lr m' / (sqrt(v') + 1e-8)`, with `m` and `v` held slots.
 */
const updateOf = (b: Builder, rule: Rule, name: string, p: NodeId, g: NodeId, lr: NodeId, dtype: DType): ParamUpdate[] => {
  if (rule === 'sgd') return [{ param: name, value: b.sub(p, b.mul(lr, g)) }]
  const shape = b.node(p).shape
  const m = b.param(`${name}:m`, shape, dtype)
  const v = b.param(`${name}:v`, shape, dtype)
  const m2 = b.add(b.mul(b.scalar(0.9, dtype), m), b.mul(b.scalar(0.1, dtype), g))
  const v2 = b.add(b.mul(b.scalar(0.999, dtype), v), b.mul(b.scalar(0.001, dtype), b.mul(g, g)))
  const next = b.sub(p, b.div(b.mul(lr, m2), b.add(b.sqrt(v2), b.scalar(1e-8, dtype))))
  return [
    { param: name, value: next },
    { param: `${name}:m`, value: m2 },
    { param: `${name}:v`, value: v2 },
  ]
}

/** A 3-5-2 perceptron (tanh, logsig, cross-entropy, mean over the batch of `batch`) with its gradients and updates. */
const mlpStep = (batch: number, dtype: DType, rule: Rule): Step => {
  const net = unwrap(layered({ sizes: [...sizes], activations: ['tanh', 'logsig'], loss: 'cross-entropy', reduction: 'mean', batch, dtype }))
  const grads = unwrap(networkGradients(net))
  const gradients = grads.gradients.flatMap((g) => [g.W, g.b])
  const params = paramsOf(grads.graph)
  const { graph, result } = buildOrThrow(grads.graph, (b) => {
    const lr = b.input('lr', [], dtype)
    return layers.flatMap((name, i) => updateOf(b, rule, name, params.get(name)!, gradients[i]!, lr, dtype))
  })
  return { graph, loss: net.loss, predictions: net.outputs, gradients, updates: result, held: result.map((u) => u.param) }
}

/** Batch `seed` of `batch` samples: features, one-hot targets, and the learning rate. */
const batchFeeds = (batch: number, dtype: DType, seed: number, lr = 0.2): Feeds => ({
  x: tensor(values(batch * 3, seed), [batch, 3], dtype),
  t: tensor(Array.from({ length: batch * 2 }, (_, i) => (i % 2 === (Math.floor(i / 2) * 3 + seed) % 2 ? 1 : 0)), [batch, 2], dtype),
  lr: tensor([lr], [], dtype),
})

/** The starting values of every held parameter of `step`: initialised layers, zero slots. */
const initialParams = (step: Step, dtype: DType, seed = 4): Record<string, Tensor> => {
  const init = unwrap(initParams({ sizes: [...sizes], activations: ['tanh', 'logsig'], dtype }, { seed })) as Record<string, Tensor>
  return Object.fromEntries(
    step.held.map((name) => {
      if (init[name] !== undefined) return [name, init[name]]
      const like = init[name.split(':')[0]!]!
      return [name, tensor(new Array<number>(like.data.length).fill(0), like.shape, dtype)]
    }),
  )
}

/** The held values of `exe` in `names` order. */
const heldValues = (exe: StatefulExecutable, names: readonly string[]): Tensor[] => {
  const read = unwrap(exe.params.read())
  return names.map((n) => read[n]!)
}

/** What one step computes from `params`, evaluated on the full graph: the outputs, then the new held values. */
const reference = (step: Step, outputs: readonly NodeId[], feeds: Feeds, params: Feeds): { outputs: Tensor[]; params: Tensor[] } => {
  const all = unwrap(evaluate(step.graph, [...outputs, ...step.updates.map((u) => u.value)], { ...feeds, ...params }))
  return { outputs: all.slice(0, outputs.length), params: all.slice(outputs.length) }
}

/** `exe`, checked to hold its parameters. */
const held = (exe: Executable): HeldWorkersExecutable => {
  expect(isStateful(exe)).toBe(true)
  return exe as HeldWorkersExecutable
}

/** What compiling needs of a step. */
type Compiled = Pick<Step, 'graph' | 'updates'>

/** `step` compiled on `backend` with its updates, split over `batchInputs` (`x` and `t` unless given; `null` for none). */
const compileHeld = (backend: WorkersBackend, step: Compiled, outputs: readonly NodeId[], batchInputs: readonly string[] | null = ['x', 't']) =>
  held(unwrap(backend.compile(step.graph, outputs, { ...(batchInputs === null ? {} : { batchInputs }), updates: step.updates })))

/** The CPU backend's executable of `step`, which holds the parameters too: the reference. */
const compileCpu = (step: Compiled, outputs: readonly NodeId[]): StatefulExecutable => {
  const exe = unwrap(cpuBackend().compile(step.graph, outputs, { updates: step.updates }))
  expect(isStateful(exe)).toBe(true)
  return exe as StatefulExecutable
}

/** Runs `body` with the executables, disposing them however it ends. */
const using = async <T extends readonly Executable[]>(exes: T, body: (...exes: T) => Promise<void>): Promise<void> => {
  try {
    await body(...exes)
  } finally {
    await Promise.all(exes.map((e) => e.dispose()))
  }
}

/**
 * Runs `a` and `b` on the same batches, the parameters given in the first
 * run only, and checks after every run that the outputs and the held values
 * agree to `tolerance` (the largest difference relative to each tensor's
 * largest magnitude).
 */
const lockstep = async (
  a: StatefulExecutable,
  b: StatefulExecutable,
  names: readonly string[],
  batches: readonly Feeds[],
  params: Feeds,
  tolerance: number,
): Promise<void> => {
  for (const [i, batch] of batches.entries()) {
    const feeds = i === 0 ? { ...batch, ...params } : batch
    const [outA, outB] = [unwrap(await a.run(feeds)), unwrap(await b.run(feeds))]
    expect(maxRelativeError(outA, outB), `outputs of run ${i + 1}`).toBeLessThan(tolerance)
    expect(maxRelativeError(heldValues(a, names), heldValues(b, names)), `held values after run ${i + 1}`).toBeLessThan(tolerance)
  }
}

const copies = (f: Feeds) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, Array.from(t.data)]))

// ---------------------------------------------------------------- tests

describe('held executable: agrees with the CPU backend', () => {
  const batches = (dtype: DType) => [1, 2, 3, 4, 5].map((seed) => batchFeeds(8, dtype, seed))

  it.each([
    [2, [4, 4]],
    [3, [3, 3, 2]],
  ] as const)('SGD in f64 on %i workers, split %j, to 1e-12', async (workers, shards) => {
    const backend = workersBackend({ workers, minFlops: 0 })
    const step = mlpStep(8, 'f64', 'sgd')
    await using([compileHeld(backend, step, [step.loss]), compileCpu(step, [step.loss])] as const, async (exe, cpu) => {
      expect(exe.shards).toEqual(shards)
      expect(exe.unsplitReason).toBeUndefined()
      expect(backend.runningWorkers()).toBe(workers - 1)
      expect(exe.params.names).toEqual(layers)
      expect(exe.feeds.filter((f) => f.required).map((f) => f.name)).toEqual(['x', 't', 'lr'])
      await lockstep(exe, cpu, step.held, batches('f64'), initialParams(step, 'f64'), 1e-12)
    })
    expect(backend.runningWorkers()).toBe(0)
  })

  it('SGD in f64 step by step as the full graph evaluates it, from the values the executable holds', async () => {
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    const step = mlpStep(8, 'f64', 'sgd')
    await using([compileHeld(backend, step, [step.loss])] as const, async (exe) => {
      let params: Feeds = initialParams(step, 'f64')
      for (const [i, batch] of batches('f64').entries()) {
        const expected = reference(step, [step.loss], batch, params)
        const out = unwrap(await exe.run(i === 0 ? { ...batch, ...params } : batch))
        expect(maxRelativeError(out, expected.outputs), `loss of run ${i + 1}`).toBeLessThan(1e-12)
        const now = heldValues(exe, step.held)
        expect(maxRelativeError(now, expected.params), `params after run ${i + 1}`).toBeLessThan(1e-12)
        params = Object.fromEntries(step.held.map((n, j) => [n, now[j]!]))
      }
    })
    expect(backend.runningWorkers()).toBe(0)
  })

  it('SGD in f32 within float32 precision', async () => {
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    const step = mlpStep(8, 'f32', 'sgd')
    await using([compileHeld(backend, step, [step.loss]), compileCpu(step, [step.loss])] as const, async (exe, cpu) => {
      expect(exe.shards).toEqual([4, 4])
      await lockstep(exe, cpu, step.held, batches('f32'), initialParams(step, 'f32'), 1e-5)
    })
    expect(backend.runningWorkers()).toBe(0)
  })

  it.each([2, 3])('an update nonlinear in the sums (Adam-like, slots held too) in f64 on %i workers, to 1e-12', async (workers) => {
    const backend = workersBackend({ workers, minFlops: 0 })
    const step = mlpStep(8, 'f64', 'adam')
    await using([compileHeld(backend, step, [step.loss]), compileCpu(step, [step.loss])] as const, async (exe, cpu) => {
      expect(exe.shards).toHaveLength(workers)
      expect(exe.unsplitReason).toBeUndefined()
      expect([...exe.params.names].sort()).toEqual([...step.held].sort())
      expect(step.held).toContain('W1:m')
      expect(step.held).toContain('W1:v')
      await lockstep(exe, cpu, step.held, batches('f64'), initialParams(step, 'f64'), 1e-12)
      // The slots did move: the comparison is not one of zeros.
      expect(Math.max(...Array.from(unwrap(exe.params.read())['W1:v']!.data))).toBeGreaterThan(0)
    })
    expect(backend.runningWorkers()).toBe(0)
  })

  it('gives the predictions along the batch axis, concatenated in sample order, with the loss and the gradients', async () => {
    const backend = workersBackend({ workers: 3, minFlops: 0 })
    const base = mlpStep(7, 'f64', 'sgd')
    // Also the predictions transposed ([2, M]: samples along axis 1) and the gradient of W1, a sum.
    const { graph, result } = buildOrThrow(base.graph, (b) => b.transpose(base.predictions))
    const step: Step = { ...base, graph }
    const dW1 = base.gradients[0]!
    const outputs = [step.loss, step.predictions, result, dW1]
    await using([compileHeld(backend, step, outputs), compileCpu(step, outputs)] as const, async (exe, cpu) => {
      expect(exe.shards).toEqual([3, 2, 2])
      expect(exe.outputs.map((o) => o.shape)).toEqual([[], [7, 2], [2, 7], [5, 3]])
      const batches = [1, 2, 3].map((seed) => batchFeeds(7, 'f64', seed))
      await lockstep(exe, cpu, step.held, batches, initialParams(step, 'f64'), 1e-12)
    })
    expect(backend.runningWorkers()).toBe(0)
  })
})

describe('held executable: determinism', () => {
  /** The losses and final held values of a fresh executable run on the same five batches. */
  const session = async (backend: WorkersBackend, step: Step) => {
    const exe = compileHeld(backend, step, [step.loss, step.predictions])
    const runs: number[][] = []
    try {
      for (const seed of [1, 2, 3, 4, 5]) {
        const batch = batchFeeds(8, 'f32', seed)
        const out = unwrap(await exe.run(seed === 1 ? { ...batch, ...initialParams(step, 'f32') } : batch))
        runs.push(out.flatMap((t) => Array.from(t.data)))
      }
      return { runs, params: heldValues(exe, step.held) }
    } finally {
      await exe.dispose()
    }
  }

  it.each([2, 3])('gives bit-identical losses, predictions and held values in f32 for two fresh executables on %i workers', async (workers) => {
    for (const rule of ['sgd', 'adam'] as const) {
      const step = mlpStep(8, 'f32', rule)
      const first = await session(workersBackend({ workers, minFlops: 0 }), step)
      const backend = workersBackend({ workers, minFlops: 0 })
      const second = await session(backend, step)
      expect(second.runs, rule).toEqual(first.runs)
      expect(second.params, rule).toEqual(first.params)
      expect(first.params[0]!.data).toBeInstanceOf(Float32Array)
      expect(backend.runningWorkers()).toBe(0)
    }
  })
})

describe('held executable: ParamStore', () => {
  const step = mlpStep(8, 'f64', 'sgd')
  const withBackend = async (body: (exe: HeldWorkersExecutable) => Promise<void>) => {
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    const exe = compileHeld(backend, step, [step.loss])
    expect(exe.shards).toEqual([4, 4])
    await using([exe] as const, body)
    expect(backend.runningWorkers()).toBe(0)
  }
  const batch = batchFeeds(8, 'f64', 1)
  const p0 = initialParams(step, 'f64', 4)
  const p1 = initialParams(step, 'f64', 9)

  /** Checks a run on `batch` against the full graph evaluated from `params`. */
  const expectStepFrom = async (exe: HeldWorkersExecutable, feeds: Feeds, params: Feeds, label: string) => {
    const expected = reference(step, [step.loss], batch, params)
    expect(maxRelativeError(unwrap(await exe.run(feeds)), expected.outputs), `${label}: loss`).toBeLessThan(1e-12)
    expect(maxRelativeError(heldValues(exe, step.held), expected.params), `${label}: params`).toBeLessThan(1e-12)
  }

  it('fails a run with MissingFeed for a held parameter never given, and cannot read it', async () => {
    await withBackend(async (exe) => {
      const out = await exe.run(batch)
      expect(E.isLeft(out) && out.left._tag).toBe('MissingFeed')
      expect(E.isLeft(out) && (out.left as { name?: string }).name).toBe('W1')
      const read = exe.params.read()
      expect(E.isLeft(read) && read.left._tag).toBe('MissingFeed')
      // Once given, the same executable runs.
      await expectStepFrom(exe, { ...batch, ...p0 }, p0, 'first run')
    })
  })

  it('takes a held parameter given in a run in place of the held value, and never changes the caller’s arrays', async () => {
    await withBackend(async (exe) => {
      expect(E.isRight(await exe.run({ ...batch, ...p0 }))).toBe(true)
      const before = copies(p1)
      await expectStepFrom(exe, { ...batch, ...p1 }, p1, 'all given')
      expect(copies(p1)).toEqual(before)
      // One given, the others held.
      const held = unwrap(exe.params.read())
      await expectStepFrom(exe, { ...batch, W2: p0.W2! }, { ...held, W2: p0.W2! }, 'W2 given')
    })
  })

  it('round-trips a write through read, and runs from what was written', async () => {
    await withBackend(async (exe) => {
      expect(E.isRight(await exe.run({ ...batch, ...p0 }))).toBe(true)
      expect(exe.params.write(p1)).toEqual(E.right(undefined))
      expect(unwrap(exe.params.read())).toEqual(p1)
      await expectStepFrom(exe, batch, p1, 'after writing all')
      // A partial write replaces only what it names.
      const held = unwrap(exe.params.read())
      expect(exe.params.write({ b1: p0.b1! })).toEqual(E.right(undefined))
      expect(unwrap(exe.params.read())).toEqual({ ...held, b1: p0.b1 })
      await expectStepFrom(exe, batch, { ...held, b1: p0.b1! }, 'after writing b1')
    })
  })

  it('can be written before the first run, which then needs no parameter', async () => {
    await withBackend(async (exe) => {
      expect(exe.params.write(p1)).toEqual(E.right(undefined))
      await expectStepFrom(exe, batch, p1, 'written, not fed')
    })
  })

  it('reads copies: changing them changes nothing held', async () => {
    await withBackend(async (exe) => {
      expect(E.isRight(await exe.run({ ...batch, ...p0 }))).toBe(true)
      const read = unwrap(exe.params.read())
      const kept = copies(read)
      for (const t of Object.values(read)) t.data.fill(100)
      expect(copies(unwrap(exe.params.read()))).toEqual(kept)
      const values = Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, tensor(v, p0[k]!.shape)]))
      await expectStepFrom(exe, batch, values, 'after mutating a read')
    })
  })

  it('rejects a bad write as a Left and changes nothing, in the store or in the runs', async () => {
    await withBackend(async (exe) => {
      expect(E.isRight(await exe.run({ ...batch, ...p0 }))).toBe(true)
      const before = unwrap(exe.params.read())
      const bad: [Feeds, string][] = [
        [{ W1: tensor(values(15, 1), [3, 5]) }, 'FeedShape'],
        [{ nope: tensor([1], [1]) }, 'UnknownFeed'],
        [{ W1: p1.W1!, b1: tensor(values(5, 2), [5], 'f32') }, 'FeedDType'],
        [{ W2: p1.W2!, b2: tensor([1, 2, 3], [3]) }, 'FeedShape'],
      ]
      for (const [values, tag] of bad) {
        const written = exe.params.write(values)
        expect(E.isLeft(written) && written.left._tag, Object.keys(values).join()).toBe(tag)
        expect(unwrap(exe.params.read())).toEqual(before)
      }
      // The workers read the parameters from the run buffer: a run shows whether that changed.
      await expectStepFrom(exe, batch, before, 'after the bad writes')
    })
  })

  it('rejects a bad feed before touching anything', async () => {
    await withBackend(async (exe) => {
      expect(E.isRight(await exe.run({ ...batch, ...p0 }))).toBe(true)
      const before = unwrap(exe.params.read())
      const out = await exe.run({ ...batch, ...p1, x: tensor(values(9, 1), [3, 3]) })
      expect(E.isLeft(out) && out.left._tag).toBe('FeedShape')
      expect(unwrap(exe.params.read())).toEqual(before)
      await expectStepFrom(exe, batch, before, 'after the bad feed')
    })
  })
})

describe('held executable: unsplit fallbacks', () => {
  const step = mlpStep(8, 'f64', 'sgd')
  const batches = [1, 2, 3].map((seed) => batchFeeds(8, 'f64', seed))

  it.each([
    [2, null, 'no batchInputs were given'],
    [1, ['x', 't'], 'the backend has a single worker'],
  ] as const)('on %i workers with batchInputs %j: stateful, correct, and says why (%s)', async (workers, batchInputs, reason) => {
    const backend = workersBackend({ workers, minFlops: 0 })
    await using([compileHeld(backend, step, [step.loss], batchInputs), compileCpu(step, [step.loss])] as const, async (exe, cpu) => {
      expect(exe.shards).toEqual([])
      expect(exe.unsplitReason).toBe(reason)
      expect(backend.runningWorkers()).toBe(0)
      expect(exe.feeds.filter((f) => f.required).map((f) => f.name)).toEqual(['x', 't', 'lr'])
      await lockstep(exe, cpu, step.held, batches, initialParams(step, 'f64'), 1e-12)
      // Feeds are still validated, though the CPU executable inside does not validate them.
      const out = await exe.run({ ...batches[0]!, x: tensor(values(9, 1), [3, 3]) })
      expect(E.isLeft(out) && out.left._tag).toBe('FeedShape')
      const never = held(unwrap(backend.compile(step.graph, [step.loss], { updates: step.updates })))
      const missing = await never.run(batches[0]!)
      expect(E.isLeft(missing) && missing.left._tag).toBe('MissingFeed')
      await never.dispose()
    })
    expect(backend.runningWorkers()).toBe(0)
  })

  it('does not split an update that depends on single samples, and names it', async () => {
    // `h` [M, 2] takes half the batch's predictions: its update keeps the samples apart.
    const { graph, result } = unwrap(
      build(step.graph, (b) => {
        b.param('h', [8, 2], 'f64')
        return b.mul(step.predictions, b.scalar(0.5))
      }),
    )
    const stray: Step = { ...step, graph, updates: [...step.updates, { param: 'h', value: result }], held: [...step.held, 'h'] }
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    await using([compileHeld(backend, stray, [stray.loss, stray.predictions]), compileCpu(stray, [stray.loss, stray.predictions])] as const, async (exe, cpu) => {
      expect(exe.shards).toEqual([])
      expect(exe.unsplitReason).toBe("the update of 'h' depends on single samples")
      const params = { ...initialParams(step, 'f64'), h: tensor(values(16, 5), [8, 2]) }
      await lockstep(exe, cpu, stray.held, batches, params, 1e-12)
    })
    expect(backend.runningWorkers()).toBe(0)
  })

  it('does not split an update that mixes a sum over the batch with single samples, and says where', async () => {
    // `h` takes the predictions minus their mean over the batch.
    const { graph, result } = unwrap(
      build(step.graph, (b) => {
        b.param('h', [8, 2], 'f64')
        return b.sub(step.predictions, b.mul(b.sum(step.predictions, [0], true), b.scalar(1 / 8)))
      }),
    )
    const stray: Step = { ...step, graph, updates: [...step.updates, { param: 'h', value: result }], held: [...step.held, 'h'] }
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    await using([compileHeld(backend, stray, [stray.loss]), compileCpu(stray, [stray.loss])] as const, async (exe, cpu) => {
      expect(exe.shards).toEqual([])
      expect(exe.unsplitReason).toMatch(/^node #\d+ \(sub\) combines a sum over the batch with single samples$/)
      const params = { ...initialParams(step, 'f64'), h: tensor(values(16, 5), [8, 2]) }
      await lockstep(exe, cpu, stray.held, batches, params, 1e-12)
    })
    expect(backend.runningWorkers()).toBe(0)
  })
})

describe('held executable: faults', () => {
  const step = mlpStep(8, 'f64', 'sgd')
  const batch = (seed: number) => batchFeeds(8, 'f64', seed)

  /** One CPU step of `step` from `params` on `feeds`: the loss and the new held values. */
  const cpuStep = async (feeds: Feeds, params: Feeds) => {
    const cpu = compileCpu(step, [step.loss])
    try {
      const out = unwrap(await cpu.run({ ...feeds, ...params }))
      return { outputs: out, params: heldValues(cpu, step.held) }
    } finally {
      await cpu.dispose()
    }
  }

  it('fails the run of a worker that exits with WorkerFailed, applies no part of it, and runs on with a fresh worker', async () => {
    // Each run is one run of slot 1's worker: its third run exits.
    const backend = makeWorkersBackend({ workers: 2, minFlops: 0 }, { fault: { slot: 1, atRun: 3, kind: 'exit' } })
    await using([compileHeld(backend, step, [step.loss])] as const, async (exe) => {
      expect(exe.shards).toEqual([4, 4])
      expect(E.isRight(await exe.run({ ...batch(1), ...initialParams(step, 'f64') }))).toBe(true)
      expect(E.isRight(await exe.run(batch(2)))).toBe(true)
      const before = unwrap(exe.params.read())
      const failed = await exe.run(batch(3))
      expect(failed).toEqual(E.left({ _tag: 'WorkerFailed', worker: 1, message: 'worker 1 failed: exited with code 7 before answering' }))
      expect(unwrap(exe.params.read())).toEqual(before)
      // The next run gets a fresh thread and steps from the values held before the failed run.
      const expected = await cpuStep(batch(3), before)
      const out = unwrap(await exe.run(batch(3)))
      expect(maxRelativeError(out, expected.outputs)).toBeLessThan(1e-12)
      expect(maxRelativeError(heldValues(exe, step.held), expected.params)).toBeLessThan(1e-12)
      expect(backend.runningWorkers()).toBe(1)
    })
    expect(backend.runningWorkers()).toBe(0)
  })

  it('keeps the held values and the run buffer in agreement after a failed run that was given parameters', async () => {
    const backend = makeWorkersBackend({ workers: 2, minFlops: 0 }, { fault: { slot: 1, atRun: 2, kind: 'exit' } })
    await using([compileHeld(backend, step, [step.loss])] as const, async (exe) => {
      expect(E.isRight(await exe.run({ ...batch(1), ...initialParams(step, 'f64', 4) }))).toBe(true)
      const failed = await exe.run({ ...batch(2), ...initialParams(step, 'f64', 9) })
      expect(E.isLeft(failed) && failed.left._tag).toBe('WorkerFailed')
      // Whichever values are held now, the next run must step from them in every shard.
      const now = unwrap(exe.params.read())
      const expected = await cpuStep(batch(2), now)
      const out = unwrap(await exe.run(batch(2)))
      expect(maxRelativeError(out, expected.outputs)).toBeLessThan(1e-12)
      expect(maxRelativeError(heldValues(exe, step.held), expected.params)).toBeLessThan(1e-12)
    })
    expect(backend.runningWorkers()).toBe(0)
  })
})

describe('held executable: names', () => {
  it('keeps a graph input named like a handed-over sum apart from the sums', async () => {
    // The update's step size is an input named `__sum:1`, a scalar like the loss's sum.
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [4, 2], 'f64')
      const w = b.param('w', [2], 'f64')
      const y = b.mul(x, w)
      const grad = b.sum(b.mul(b.mul(x, b.scalar(2)), y), [0])
      return { loss: b.sum(b.square(y)), next: b.sub(w, b.mul(b.input('__sum:1', [], 'f64'), grad)) }
    })
    const step: Compiled = { graph, updates: [{ param: 'w', value: result.next }] }
    const backend = workersBackend({ workers: 2, minFlops: 0 })
    const feeds: Feeds = { x: tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), '__sum:1': tensor([0.01], []) }
    await using([compileHeld(backend, step, [result.loss], ['x']), compileCpu(step, [result.loss])] as const, async (exe, cpu) => {
      expect(exe.shards).toEqual([2, 2])
      await lockstep(exe, cpu, ['w'], [feeds, feeds], { w: tensor([0.5, -0.25], [2]) }, 1e-12)
    })
    expect(backend.runningWorkers()).toBe(0)
  })
})

describe('held executable: through the trainer', () => {
  // 8 samples in batches of 3: steps of 3, 3 and 2 samples, so two held executables and a switch between them.
  const [data, model, params] = [toyData, toyModel, toyParams]

  /** `backend` recording the executables it compiles with updates. */
  const recording = (backend: Backend) => {
    const compiled: { exe: Executable; updates: number }[] = []
    const wrapped: Backend = {
      name: backend.name,
      compile: (graph, outputs, options) => {
        const exe = backend.compile(graph, outputs, options)
        if (E.isRight(exe) && (options?.updates?.length ?? 0) > 0) compiled.push({ exe: exe.right, updates: options!.updates!.length })
        return exe
      },
    }
    return { backend: wrapped, compiled }
  }

  const trainOn = async (backend: Backend, optimizer: TrainOptions['optimizer']) => {
    const events = await lastValueFrom(train({ model, backend, data, params, optimizer, epochs: 4, batchSize: 3, seed: 2 }).pipe(toArray()))
    const done = events.at(-1)
    if (done?.type !== 'done') throw new Error(`the run did not finish: ${JSON.stringify(done)}`)
    const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch')
    return { losses: epochs.map((e) => e.trainLoss), params: eventParams(done as DoneEvent)! }
  }

  const tensors = (p: Params): Tensor[] => Object.keys(params).map((k) => p[k]!)

  it.each([
    ['momentum', () => momentum({ lr: 0.3, beta: 0.9 })],
    ['adam', () => adam({ lr: 0.05 })],
  ] as const)('trains with %s on workers:2 as on the CPU backend, to 1e-12', async (_, make) => {
    const cpu = await trainOn(cpuBackend(), make())
    const workers = workersBackend({ workers: 2, minFlops: 0 })
    const spy = recording(workers)
    const run = await trainOn(spy.backend, make())
    // The trainer took the held path, split: one executable per batch size (3 and 2).
    expect(spy.compiled).toHaveLength(2)
    for (const { exe, updates } of spy.compiled) {
      expect(isStateful(exe)).toBe(true)
      expect((exe as WorkersExecutable).unsplitReason).toBeUndefined()
      expect(updates).toBeGreaterThan(4)
    }
    expect(spy.compiled.map(({ exe }) => (exe as WorkersExecutable).shards)).toEqual([
      [2, 1],
      [1, 1],
    ])
    expect(run.losses).toHaveLength(4)
    expect(maxRelativeError([tensor(run.losses, [4])], [tensor(cpu.losses, [4])])).toBeLessThan(1e-12)
    expect(maxRelativeError(tensors(run.params), tensors(cpu.params))).toBeLessThan(1e-12)
    // The parameters did train.
    expect(maxRelativeError(tensors(run.params), tensors(params))).toBeGreaterThan(1e-3)
    expect(workers.runningWorkers()).toBe(0)
  })
})
