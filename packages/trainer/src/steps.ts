import type { BackendError, Feeds, Tensor } from '@backprop/backend'
import { type Batch, type BatchArray, batches, type Dataset } from '@backprop/data'
import { sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { batchDType, feedsFor, scalarFeeds } from './feeds.js'
import type { StepInfo } from './optimizer.js'
import { firstNonFinite, type Params, zerosOf } from './params.js'
import type { Programs, UpdateProgram } from './compile-cache.js'

/**
 * The parameters a run keeps when it fails: the last good ones, and the
 * step after which they were current (0 for the initial parameters).
 *
 * @internal
 */
export interface Kept {
  readonly params: Params
  readonly step: number
  /** Set when they are older than the last completed step: why. */
  readonly note?: string
}

/**
 * What one training step came to: accepted (with the batch's loss before
 * the update, the milliseconds of work it took and the step's per-layer
 * statistics outputs, empty unless asked for), failed (the step and
 * its parameters not accepted), or cut short by an abort.
 *
 * @internal
 */
export type StepOutcome =
  | { readonly type: 'ok'; readonly loss: number; readonly metrics: readonly number[]; readonly ms: number; readonly stats: readonly Tensor[] }
  | { readonly type: 'failed'; readonly message: string; readonly step: number | null; readonly kept: Kept }
  | { readonly type: 'stopped' }

/**
 * How a run takes its steps and keeps its parameters between them (see
 * {@link stepper}).
 *
 * @internal
 */
export interface Stepper {
  /** Takes step `info.step` on `batch`, or says why not. */
  step(batch: Batch<BatchArray>, info: StepInfo): Promise<StepOutcome>
  /**
   * The parameters after the last accepted step, as a set of its own, at
   * the end of an epoch (for its event, the evaluation and the checkpoint).
   */
  endEpoch(): E.Either<string, Params>
  /** The parameters to keep should the run fail now, between steps. */
  kept(): Kept
}

/** Everything {@link stepper} needs. @internal */
export interface StepperSetup {
  readonly progs: Programs
  /** The update program of the first batch: its slots give the optimiser's state. */
  readonly first: UpdateProgram
  readonly backendName: string
  /** The training data, batched as the run batches it, to replay steps. */
  readonly data: Dataset
  readonly batchSize: number
  readonly seed: number
  readonly initial: Params
  readonly clock: () => number
  /** Aborted when the run is to stop: checked after every run, so a stop takes effect within a step. */
  readonly signal: AbortSignal
  readonly pace: () => Promise<void>
}

/**
 * Where the parameters and slots currently live: in the executable that ran
 * last, or (before the first run and after a reset) in a set of values the
 * next run writes into its executable. Switching programs (a smaller last
 * batch) reads the values out of one executable and writes them into the
 * other; but values read since the executable last ran are still its
 * values, so a switch right after a read (the first step of an epoch, after
 * the snapshot of the epoch's end) writes those, rather than reading a
 * fresh copy of every parameter and slot on the step's clock.
 */
const holder = (initial: Feeds) => {
  let current: UpdateProgram | undefined
  let pending: Feeds = initial
  /** What `read` returned since `current` last ran, if anything. */
  let lastRead: Readonly<Record<string, Tensor>> | undefined
  const read = (): E.Either<BackendError, Readonly<Record<string, Tensor>>> => {
    if (current === undefined) return E.right(pending)
    if (lastRead !== undefined) return E.right(lastRead)
    const values = current.exec.params.read()
    if (E.isRight(values)) lastRead = values.right
    return values
  }
  return {
    read,
    run: async (program: UpdateProgram, feeds: Feeds): Promise<E.Either<BackendError, readonly Tensor[]>> => {
      if (program !== current) {
        const values = read()
        if (E.isLeft(values)) return values
        const written = program.exec.params.write(values.right)
        if (E.isLeft(written)) return written
        current = program
      }
      lastRead = undefined
      return program.exec.run(feeds)
    },
    reset: (values: Feeds): void => {
      pending = values
      current = undefined
      lastRead = undefined
    },
  }
}

/**
 * Steps through update programs: each run feeds the batch and the
 * optimiser's per-step scalars, returns the loss and a finiteness check of
 * every new parameter, and leaves the updated parameters and optimiser
 * slots in the executable (the backend's buffers, or the trainer's when
 * the backend cannot hold them; see `compileUpdating`).
 *
 * A step is accepted when its loss and its new parameters are finite; but
 * by the time a run reports a failure, the executable has already applied
 * the failed step. So the stepper keeps a snapshot of all values at every
 * epoch end (which the epoch event, the evaluation and the checkpoint need
 * anyway), and on a failure replays the epoch's accepted steps from it,
 * checking that each replayed loss is bit for bit the one seen before: the
 * parameters kept are then exactly those of the last good step. Should the
 * backend not reproduce its runs, the snapshot is kept instead, and the
 * message says from when. The cause (loss, gradient or update) is told
 * apart by running the gradient program on the kept parameters.
 *
 * @internal
 */
export const stepper = (s: StepperSetup): Stepper => {
  const { progs, backendName, clock, signal } = s
  // Parameter sets keep the key order of the initial parameters, whatever order the backend holds them in.
  const order = Object.keys(s.initial)
  const pick = (values: Readonly<Record<string, Tensor>>): Params => Object.fromEntries(order.map((name) => [name, values[name]!]))
  const zeros: Record<string, Tensor> = {}
  for (const [name, spec] of s.first.slots) zeros[name] = { shape: spec.shape, dtype: spec.dtype, data: zerosOf(spec.dtype, sizeOf(spec.shape)) }
  /** All held values (parameters and slots) at the end of an epoch, and the parameters among them. */
  let snapshot = { values: { ...s.initial, ...zeros } as Feeds, params: s.initial, step: 0, epoch: 0 }
  /** The losses of the steps accepted since the snapshot, to check a replay against. */
  let losses: number[] = []
  let done = 0
  let epoch = 0
  const held = holder(snapshot.values)

  const run = (program: UpdateProgram, batch: Batch<BatchArray>, info: StepInfo) =>
    held.run(program, feedsFor(program, batch, scalarFeeds(program, info)))

  const fromSnapshot = (): Kept => ({
    params: snapshot.params,
    step: snapshot.step,
    note: `${snapshot.epoch === 0 ? '' : `the end of epoch ${snapshot.epoch}; `}the steps since could not be replayed exactly`,
  })

  /** The parameters after step `info.step - 1`, replayed from the snapshot; `undefined` when aborted. */
  const replay = async (info: StepInfo): Promise<Kept | undefined> => {
    const target = info.step - 1
    if (snapshot.step === target) return { params: snapshot.params, step: target }
    held.reset(snapshot.values)
    let at = snapshot.step
    for (const batch of batches(s.data, s.batchSize, { seed: s.seed, epoch: info.epoch, reuse: true, dtype: batchDType(progs) })) {
      if (at === target) break
      const program = progs.updating(batch.size)
      if (E.isLeft(program)) return fromSnapshot()
      const result = await run(program.right, batch, { step: at + 1, epoch: info.epoch })
      if (signal.aborted) return undefined
      if (E.isLeft(result) || !Object.is(result.right[0]!.data[0], losses[at - snapshot.step])) return fromSnapshot()
      at += 1
      await s.pace()
      if (signal.aborted) return undefined
    }
    const values = held.read()
    return at === target && E.isRight(values) ? { params: pick(values.right), step: target } : fromSnapshot()
  }

  /** Why the new value of `param` is not finite: a gradient, or the update itself. */
  const diagnose = async (batch: Batch<BatchArray>, kept: Kept, param: string): Promise<string> => {
    if (kept.note !== undefined) return `the update made '${param}' non-finite (a gradient is not finite, or the learning rate is too large)`
    const program = progs.gradients(batch.size)
    if (E.isRight(program)) {
      const result = await program.right.exec.run(feedsFor(program.right, batch, kept.params))
      if (E.isRight(result)) {
        for (const [k, name] of progs.paramNames.entries()) {
          const g = result.right[k + 1]!.data
          const bad = firstNonFinite(g)
          if (bad !== undefined) return `the gradient of '${name}' is ${g[bad]} at element ${bad}`
        }
      }
    }
    return `the update made '${param}' non-finite (is the learning rate too large?)`
  }

  const recover = async (batch: Batch<BatchArray>, info: StepInfo, what: string | { readonly param: string }): Promise<StepOutcome> => {
    const kept = await replay(info)
    if (kept === undefined) return { type: 'stopped' }
    const message = typeof what === 'string' ? what : await diagnose(batch, kept, what.param)
    return { type: 'failed', message, step: info.step, kept }
  }

  const current = (): Kept => {
    if (done === snapshot.step) return { params: snapshot.params, step: done }
    const values = held.read()
    return E.isRight(values) ? { params: pick(values.right), step: done } : fromSnapshot()
  }

  return {
    step: async (batch, info) => {
      const program = progs.updating(batch.size)
      if (E.isLeft(program)) return { type: 'failed', message: program.left.message, step: null, kept: current() }
      const started = clock()
      const result = await run(program.right, batch, info)
      if (signal.aborted) return { type: 'stopped' }
      if (E.isLeft(result)) return recover(batch, info, `the ${backendName} backend failed: ${result.left.message}`)
      const [lossTensor, ...checks] = result.right
      const loss = lossTensor!.data[0]!
      if (!Number.isFinite(loss)) return recover(batch, info, `the loss is ${loss}`)
      const checked = program.right.checked
      const broken = order.find((name) => !Number.isFinite(checks[checked.indexOf(name)]!.data[0]!))
      if (broken !== undefined) return recover(batch, info, { param: broken })
      losses.push(loss)
      done = info.step
      epoch = info.epoch
      const metrics = result.right.slice(program.right.metricsAt).map((m) => m.data[0]!)
      const stats = result.right.slice(1 + checked.length, program.right.metricsAt)
      return { type: 'ok', loss, metrics, ms: clock() - started, stats }
    },
    endEpoch: () => {
      const values = held.read()
      if (E.isLeft(values)) return E.left(`the ${backendName} backend cannot give the parameters back: ${values.left.message}`)
      snapshot = { values: values.right, params: pick(values.right), step: done, epoch }
      losses = []
      return E.right(snapshot.params)
    },
    kept: current,
  }
}
