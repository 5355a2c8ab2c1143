/**
 * `backprop train` end to end, on `--backend cpu` and `--backend workers:N`:
 * whole 5-epoch runs of the built command, as a user starts them, first
 * epoch included. The step benchmark (`workers.ts`) times steady steps;
 * this is what a user sees, worker start-up and first-epoch warm-up
 * included.
 */
import { spawnSync } from 'node:child_process'
import { stepTolerance } from './agreement.js'
import { launcher } from './cli.js'
import { median } from './timing.js'

/** The contract's MNIST recipe at batch 512, without the backend. */
const recipe = [
  'train',
  '--dataset',
  'mnist',
  '--layers',
  '784,128,10',
  '--hidden',
  'relu',
  '--loss',
  'softmax-cross-entropy',
  '--optimizer',
  'sgd',
  '--lr',
  '0.1',
  '--epochs',
  '5',
  '--seed',
  '1',
  '--batch',
  '512',
  '--json',
] as const

/** One run of the command: its samples/s over all epochs, each epoch's figure, its final training loss and its wall time. */
export interface EndToEndRun {
  /**
   * Samples over the milliseconds the steps took, all epochs together: the
   * harmonic mean of the epoch figures, which is exact here since every
   * epoch has the same samples.
   */
  readonly samplesPerSecond: number
  /** The `samplesPerSecond` of each epoch event, the first included. */
  readonly epochs: readonly number[]
  /** The `trainLoss` of the `done` event. */
  readonly finalLoss: number
  /** Wall time of the process, start to exit (loading the data and compiling included). */
  readonly wallMs: number
}

/** Runs `backprop train` with the recipe on `backend` and reads its events. */
const trainOnce = (backend: string): EndToEndRun => {
  const started = performance.now()
  const result = spawnSync(process.execPath, [launcher, ...recipe, '--backend', backend], { encoding: 'utf8' })
  const wallMs = performance.now() - started
  if (result.status !== 0) throw new Error(`backprop train --backend ${backend} exited ${result.status}: ${result.stderr}`)
  const events = result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; samplesPerSecond?: number; trainLoss?: number })
  const epochs = events.filter((e) => e.type === 'epoch').map((e) => e.samplesPerSecond!)
  const done = events.find((e) => e.type === 'done')
  if (done === undefined || epochs.length !== 5) throw new Error(`backprop train --backend ${backend} did not finish its 5 epochs`)
  return { samplesPerSecond: harmonicMean(epochs), epochs, finalLoss: done.trainLoss!, wallMs }
}

/** Samples/s over epochs of equal size: the harmonic mean of their figures. */
const harmonicMean = (figures: readonly number[]): number => figures.length / figures.reduce((s, x) => s + 1 / x, 0)

/**
 * What {@link benchEndToEnd} measured.
 *
 * @category Benchmarks
 */
export interface EndToEndResult {
  /** The parallel backend's name, e.g. `workers:2`. */
  readonly backend: string
  /** Every run of each backend, in the order they ran. */
  readonly cpu: readonly EndToEndRun[]
  readonly parallel: readonly EndToEndRun[]
  /** The median over runs of each backend's samples/s. */
  readonly cpuSamplesPerSecond: number
  readonly parallelSamplesPerSecond: number
  /**
   * The same medians for the first epoch alone and for the epochs after it
   * (their harmonic mean): what warming up costs each backend, apart from
   * its steady speed.
   */
  readonly firstEpoch: { readonly cpu: number; readonly parallel: number }
  readonly laterEpochs: { readonly cpu: number; readonly parallel: number }
  /** Parallel over cpu, of the medians (target: at least 1.6 for `workers:2`). */
  readonly ratio: number
  /** The median wall times, milliseconds per run. */
  readonly cpuWallMs: number
  readonly parallelWallMs: number
  /** Runs whose final loss differs from the first cpu run's beyond float32 tolerance (empty when all agree). */
  readonly failures: readonly string[]
}

/**
 * Runs the built `backprop train` command (MNIST 784-128-10, relu, softmax
 * cross-entropy, SGD lr 0.1, 5 epochs, seed 1, batch 512, `--json`) `rounds`
 * times on `--backend cpu` and on `--backend workers:N`, alternating and
 * swapping the order every round; the figure of a run is its samples/s over
 * all five epochs as the command reports them (the first epoch included),
 * and the result compares the medians. Every run's final training loss is
 * checked against the first cpu run's (float32 tolerance): the two
 * backends must have trained the same network on the same batches. Expects
 * the command to be built (see `buildCli`).
 *
 * @example
 * ```ts
 * buildCli()
 * const { ratio } = benchEndToEnd({ rounds: 1 })
 * ```
 * @category Benchmarks
 */
export const benchEndToEnd = (opts: { readonly rounds?: number; readonly workers?: number } = {}): EndToEndResult => {
  const rounds = opts.rounds ?? 5
  const backend = `workers:${opts.workers ?? 2}`
  const cpu: EndToEndRun[] = []
  const parallel: EndToEndRun[] = []
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['cpu', backend] as const) : ([backend, 'cpu'] as const)
    for (const name of order) (name === 'cpu' ? cpu : parallel).push(trainOnce(name))
  }
  const reference = cpu[0]!.finalLoss
  const failures = [...cpu.map((r) => ['cpu', r] as const), ...parallel.map((r) => [backend, r] as const)].flatMap(([name, r]) => {
    const agrees = Math.abs(r.finalLoss - reference) <= stepTolerance.loss * Math.max(1, Math.abs(reference))
    return agrees ? [] : [`${name}, end to end: final training loss ${r.finalLoss}, the first cpu run's ${reference}`]
  })
  const cpuSamplesPerSecond = median(cpu.map((r) => r.samplesPerSecond))
  const parallelSamplesPerSecond = median(parallel.map((r) => r.samplesPerSecond))
  const first = (runs: readonly EndToEndRun[]) => median(runs.map((r) => r.epochs[0]!))
  const later = (runs: readonly EndToEndRun[]) => median(runs.map((r) => harmonicMean(r.epochs.slice(1))))
  return {
    backend,
    cpu,
    parallel,
    cpuSamplesPerSecond,
    parallelSamplesPerSecond,
    firstEpoch: { cpu: first(cpu), parallel: first(parallel) },
    laterEpochs: { cpu: later(cpu), parallel: later(parallel) },
    ratio: parallelSamplesPerSecond / cpuSamplesPerSecond,
    cpuWallMs: median(cpu.map((r) => r.wallMs)),
    parallelWallMs: median(parallel.map((r) => r.wallMs)),
    failures,
  }
}
