/**
 * The workers backend against the CPU backend on the MNIST 784-128-10
 * training step: what `--backend workers:2` buys at batch 512, and what its
 * round trip costs at batch 64, where little speed-up is expected.
 */
import * as E from 'fp-ts/lib/Either.js'
import { type Backend, type Feeds, tensor } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import { workersBackend } from '@backprop/backend-workers'
import type { DType } from '@backprop/graph'
import { layered, networkGradients } from '@backprop/nn'
import { checkLoss, checkStep, type Tracked, tracked } from './agreement.js'
import { batches, heldValues, initialParams, lr, paramFeeds, referenceStep, sizes, trainingGraph } from './mnist.js'
import { idealSplitJob, type PairStep } from './ideal-split.js'
import { alternate, type Job, median, type Schedule } from './timing.js'

/**
 * Options of {@link benchWorkers}.
 *
 * @category Benchmarks
 */
export interface WorkersBenchOptions {
  /** Short rounds, for a smoke run (default `false`). */
  readonly quick?: boolean
  /** The worker count of the parallel system (default 2: `workers:2`). */
  readonly workers?: number
  /** The element type of the step (default `'f32'`). */
  readonly dtype?: DType
}

/**
 * One figure of {@link benchWorkers}: a name such as `cpu, batch 512`, its
 * value and unit (`samples/s`, `ms/step` or `x`).
 *
 * @category Benchmarks
 */
export interface WorkersBenchRow {
  readonly name: string
  readonly value: number
  readonly unit: string
}

/**
 * What {@link benchWorkers} measured: every figure as a row, and the two
 * that the workers backend's issue sets targets for.
 *
 * @category Benchmarks
 */
export interface WorkersBenchResult {
  /** Every figure, in the order a report prints them. */
  readonly rows: readonly WorkersBenchRow[]
  /** Samples/s of `workers:N` over samples/s of `cpu` at batch 512, parameters fed every step (target: at least 1.7 for N = 2 on two cores). */
  readonly ratio512: number
  /**
   * The same ratio for the step as the trainer runs it on either backend:
   * compiled with in-place updates, the backend holding the parameters
   * (target: at least 1.7 as well).
   */
  readonly heldRatio512: number
  /**
   * Milliseconds per step that `workers:N` takes beyond `cpu` at batch 64:
   * the cost of splitting a small batch (copying the workers' rows and the
   * parameters, waking them, adding up their gradients), net of the
   * compute it saves. Negative where splitting pays even at batch 64.
   */
  readonly overhead64Ms: number
  /**
   * Samples/s of the ideal split (see `idealSplitJob`: two threads, each a
   * CPU backend step of half the batch, independently) over the CPU
   * backend's whole step, at batch 512, timed with the held steps: what
   * splitting can give on this machine at best. Only for two workers;
   * `undefined` otherwise.
   */
  readonly idealRatio512?: number
  /**
   * How far apart the ideal split's two threads finish, at batch 512: the
   * time of the slower thread's half over the mean of the two halves,
   * added up over each timed stretch of the pair's runs (the median of the
   * stretches). A step that waits for the slower of two equal halves
   * loses that much to their step-to-step spread alone: about 1 where the
   * two cores run evenly. Were each half to take half the whole step's
   * time, the ideal split's ratio would be `2 / idealSpread512`; the rest
   * of its distance from that is the two threads slowing each other down.
   * Only with `idealRatio512`.
   */
  readonly idealSpread512?: number
  /** Where a system's loss or step disagreed with the reference interpreter's (empty when all agree). */
  readonly failures: readonly string[]
}

/** A job timed on one system, what releases it after timing, and the check of what it computed. */
interface Timed {
  readonly job: Job
  readonly dispose: () => Promise<void>
  /** Checks the timed job against the reference interpreter: what disagrees, or `undefined`. */
  readonly check: (timed: Tracked) => Promise<string | undefined>
  /** For the ideal split: see {@link WorkersBenchResult.idealSpread512}. */
  readonly spread?: () => number
}

/**
 * The training step as a trainer without a stateful fast path runs it: the
 * network's loss and parameter gradients, compiled by `backend` with `x` and
 * `t` as batch inputs; each run feeds the next of four random batches and
 * the (fixed) parameters and checks that it succeeded.
 */
const stepJob = (backend: Backend, batch: number, dtype: DType): Timed => {
  const net = layered({ sizes, activations: ['relu', 'softmax'], loss: 'softmax-cross-entropy', reduction: 'mean', batch, dtype })
  if (E.isLeft(net)) throw new Error(net.left.message)
  const derived = networkGradients(net.right)
  if (E.isLeft(derived)) throw new Error(derived.left.message)
  const outputs = [net.right.loss, ...derived.right.gradients.flatMap((g) => [g.W, g.b])]
  const compiled = backend.compile(derived.right.graph, outputs, { batchInputs: ['x', 't'] })
  if (E.isLeft(compiled)) throw new Error(compiled.left.message)
  const exe = compiled.right
  const [D, , K] = sizes
  const params = paramFeeds(dtype)
  const feeds: Feeds[] = batches(batch, dtype).map((b) => ({
    ...params,
    x: { shape: [batch, D], dtype, data: b.x },
    t: { shape: [batch, K], dtype, data: b.t },
  }))
  let step = 0
  const reference = referenceStep(batch)
  return {
    dispose: () => exe.dispose(),
    // The parameters stay fixed: the last loss is the reference's on the last batch.
    check: async (t) => checkLoss(t.last(), reference(initialParams(dtype), t.runs() - 1).loss),
    job: {
      run: async () => {
        const out = await exe.run(feeds[step++ % feeds.length]!)
        if (E.isLeft(out)) throw new Error(`${backend.name}: ${out.left.message}`)
        return out.right[0]!.data[0]
      },
    },
  }
}

/**
 * The training step as the trainer runs it where the backend holds the
 * parameters: loss and SGD updates (`p - lr * dE/dp`) compiled with
 * `updates`, so each run feeds only the batch and the learning rate (and
 * the initial parameters, once).
 */
const heldJob = (backend: Backend, batch: number, dtype: DType): Timed => {
  const { graph, loss, updates } = trainingGraph(batch, dtype)
  const compiled = backend.compile(graph, [loss], { batchInputs: ['x', 't'], updates })
  if (E.isLeft(compiled)) throw new Error(compiled.left.message)
  const exe = compiled.right
  const [D, , K] = sizes
  const params = paramFeeds(dtype)
  const rate = tensor([lr], [], dtype)
  const data = batches(batch, dtype)
  let step = 0
  const reference = referenceStep(batch)
  return {
    dispose: () => exe.dispose(),
    check: (t) => {
      const index = t.runs()
      return checkStep({ ...t.job, params: () => (step === 0 ? initialParams(dtype) : heldValues(exe)) }, (p, later) => reference(p, index + later))
    },
    job: {
      run: async () => {
        const b = data[step % data.length]!
        const feeds: Feeds = { x: { shape: [batch, D], dtype, data: b.x }, t: { shape: [batch, K], dtype, data: b.t }, lr: rate }
        const out = await exe.run(step++ === 0 ? { ...feeds, ...params } : feeds)
        if (E.isLeft(out)) throw new Error(`${backend.name}: ${out.left.message}`)
        return out.right[0]!.data[0]
      },
    },
  }
}

/** Makes one of the two jobs above. */
type MakeJob = (backend: Backend, batch: number, dtype: DType) => Timed

/**
 * Milliseconds per step of the CPU backend and of the workers backend at
 * one batch size, timed in alternation, and what either computed wrong.
 */
const timeBoth = async (
  make: MakeJob,
  batch: number,
  workers: number,
  dtype: DType,
  schedule: Schedule,
  ideal?: Timed,
): Promise<{ cpu: number; parallel: number; ideal?: number; spread?: number; failures: string[] }> => {
  const backend = workersBackend({ workers })
  const cpu = make(cpuBackend(), batch, dtype)
  const parallel = make(backend, batch, dtype)
  try {
    const systems = [['cpu', cpu], [`workers:${workers}`, parallel], ...(ideal ? [['the ideal split', ideal] as const] : [])] as const
    const timed = systems.map(([, system]) => tracked(system.job))
    const [cpuMs, parallelMs, idealMs] = await alternate(
      timed.map((t) => t.job),
      schedule,
    )
    const failures: string[] = []
    for (const [k, [name, system]] of systems.entries()) {
      const wrong = await system.check(timed[k]!)
      if (wrong !== undefined) failures.push(`${name}, batch ${batch}: ${wrong}`)
    }
    const spread = ideal?.spread?.()
    return { cpu: cpuMs!, parallel: parallelMs!, ...(idealMs === undefined ? {} : { ideal: idealMs }), ...(spread === undefined ? {} : { spread }), failures }
  } finally {
    await cpu.dispose()
    await parallel.dispose()
    await ideal?.dispose()
  }
}

/**
 * The ideal split of the MNIST step at `batch` (see `idealSplitJob`) as a
 * timed system. Both threads take the same steps on the same data, so
 * their losses must be equal at every step (the first step where they are
 * not is reported); the first step's is checked against the reference
 * interpreter's on half the batch.
 */
const idealJob = async (batch: number, dtype: DType): Promise<Timed> => {
  const pair = await idealSplitJob(batch, dtype)
  let first: number | undefined
  let steps = 0
  let differ: string | undefined
  const expected = referenceStep(batch / 2)(initialParams(dtype), 0).loss
  // The slower and the mean half of each step, added up over each stretch of runs (a warm-up or a round: each starts with `enter`).
  const stretches: { slower: number; mean: number }[] = []
  return {
    dispose: pair.dispose,
    check: async () => differ ?? checkLoss(first, expected),
    spread: () => median(stretches.filter((s) => s.mean > 0).map((s) => s.slower / s.mean)),
    job: {
      enter: async () => {
        stretches.push({ slower: 0, mean: 0 })
      },
      run: async () => {
        const { losses, ms } = (await pair.run()) as PairStep
        const [mine, theirs] = losses
        steps += 1
        first ??= mine
        if (mine !== theirs) differ ??= `the two threads' losses differ at step ${steps}: ${mine} and ${theirs}`
        const stretch = stretches.at(-1)
        if (stretch !== undefined) {
          stretch.slower += Math.max(ms[0], ms[1])
          stretch.mean += (ms[0] + ms[1]) / 2
        }
        return mine
      },
    },
  }
}

/**
 * Measures, in one run that alternates the two systems (warm-up first, then
 * rounds in rotating order, medians of the rounds; see `alternate`), the
 * MNIST 784-128-10 training step (relu, softmax cross-entropy with mean
 * reduction, loss and gradients; built with `layered` and
 * `networkGradients`, compiled with `batchInputs: ['x', 't']`, random
 * batches and fixed parameters fed every step) on `cpu` and on
 * `workers:N`:
 *
 * - samples/s of each at batch 512, and their ratio (`ratio512`);
 * - the same for the step with in-place SGD updates, each backend holding
 *   the parameters, as the trainer runs it (`heldRatio512`);
 * - milliseconds per step of each at batch 64, and the difference
 *   (`overhead64Ms`): what splitting a small batch costs rather than saves.
 *
 * The two systems get the same graph and the same feeds, and each step
 * awaits `run`, as a trainer does. Nothing fails on a slow figure.
 *
 * @example
 * ```ts
 * const { rows, ratio512 } = await benchWorkers({ quick: true })
 * for (const r of rows) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`)
 * ```
 * @category Benchmarks
 */
export const benchWorkers = async (opts: WorkersBenchOptions = {}): Promise<WorkersBenchResult> => {
  const workers = opts.workers ?? 2
  const dtype = opts.dtype ?? 'f32'
  // A long warm-up: the worker thread starts, and its WebAssembly code tiers up, during the first second.
  const schedule: Schedule = opts.quick ? { rounds: 3, roundMs: 200, warmupMs: 300 } : { rounds: 9, roundMs: 600, warmupMs: 1500 }
  const name = `workers:${workers}`
  const big = await timeBoth(stepJob, 512, workers, dtype, schedule)
  const held = await timeBoth(heldJob, 512, workers, dtype, schedule, workers === 2 ? await idealJob(512, dtype) : undefined)
  const small = await timeBoth(stepJob, 64, workers, dtype, schedule)
  const ratio512 = big.cpu / big.parallel
  const heldRatio512 = held.cpu / held.parallel
  const overhead64Ms = small.parallel - small.cpu
  const idealRatio512 = held.ideal === undefined ? undefined : held.cpu / held.ideal
  const rows: WorkersBenchRow[] = [
    { name: `cpu, batch 512`, value: 512_000 / big.cpu, unit: 'samples/s' },
    { name: `${name}, batch 512`, value: 512_000 / big.parallel, unit: 'samples/s' },
    { name: `${name} / cpu, batch 512`, value: ratio512, unit: 'x' },
    { name: `cpu holding the parameters, batch 512`, value: 512_000 / held.cpu, unit: 'samples/s' },
    { name: `${name} holding the parameters, batch 512`, value: 512_000 / held.parallel, unit: 'samples/s' },
    { name: `${name} / cpu holding the parameters, batch 512`, value: heldRatio512, unit: 'x' },
    ...(held.ideal === undefined
      ? []
      : [
          { name: `the ideal split (two threads, each a cpu step of batch 256), batch 512`, value: 512_000 / held.ideal, unit: 'samples/s' },
          { name: `the ideal split / cpu holding the parameters, batch 512`, value: idealRatio512!, unit: 'x' },
          { name: `${name} / the ideal split, batch 512`, value: held.ideal / held.parallel, unit: 'x' },
          { name: `the ideal split: its slower thread's half over the mean half, batch 512`, value: held.spread!, unit: 'x' },
        ]),
    { name: `cpu, batch 512`, value: big.cpu, unit: 'ms/step' },
    { name: `${name}, batch 512`, value: big.parallel, unit: 'ms/step' },
    { name: `cpu, batch 64`, value: small.cpu, unit: 'ms/step' },
    { name: `${name}, batch 64`, value: small.parallel, unit: 'ms/step' },
    { name: `${name} overhead per step, batch 64`, value: overhead64Ms, unit: 'ms/step' },
  ]
  const ideal = idealRatio512 === undefined ? {} : { idealRatio512, idealSpread512: held.spread! }
  return { rows, ratio512, heldRatio512, ...ideal, overhead64Ms, failures: [...big.failures, ...held.failures, ...small.failures] }
}
