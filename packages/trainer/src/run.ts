import type { Executable } from '@backprop/backend'
import { batches } from '@backprop/data'
import * as E from 'fp-ts/lib/Either.js'
import { saveParams } from './checkpoint.js'
import { doneAfter } from './early-stopping.js'
import { configError, type TrainError } from './errors.js'
import { evaluateOn } from './evaluate.js'
import { type DoneEvent, type EpochEvent, type StepEvent, type TrainErrorEvent, type TrainEvent, withParams } from './events.js'
import { batchDType } from './feeds.js'
import { layerStatsAccumulator } from './layer-stats.js'
import type { TrainOptions } from './options.js'
import { checkParams, type Params } from './params.js'
import { programs, type Programs } from './compile-cache.js'
import { type Kept, type Stepper, stepper as makeStepper } from './steps.js'

/** The options after checking, with defaults filled in. */
interface Setup {
  readonly progs: Programs
  readonly params: Params
  readonly batchSize: number
  /** Samples per chunk of the test evaluation (none without test data). */
  readonly testChunk: number | undefined
  readonly seed: number
  readonly classification: boolean
  readonly stepEvery: number
  readonly yieldEveryMs: number
  readonly everyEpochs: number
  readonly clock: () => number
}

const isCount = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min

/** Checks the options and builds the first program; the first problem is a `Left`. */
const prepare = (o: TrainOptions): E.Either<TrainError, Setup> => {
  const { data, test } = o
  if (!isCount(o.epochs, 1)) return E.left(configError(`epochs must be a positive integer, got ${o.epochs}`))
  if (data.size < 1) return E.left(configError(`${data.name} has no samples to train on`))
  const requested = o.optimizer.fullBatch ? Infinity : (o.batchSize ?? 32)
  if (!(requested === Infinity || isCount(requested, 1))) {
    return E.left(configError(`batch size must be a positive integer, got ${o.batchSize}`))
  }
  if (test !== undefined && (test.features !== data.features || test.targets !== data.targets)) {
    return E.left(
      configError(
        `${test.name} has ${test.features} features and ${test.targets} targets but ${data.name} has ${data.features} and ${data.targets}`,
      ),
    )
  }
  const stepEvery = o.stepEvery ?? 1
  if (!isCount(stepEvery, 0)) return E.left(configError(`stepEvery must be a non-negative integer, got ${o.stepEvery}`))
  const everyEpochs = o.checkpoint?.everyEpochs ?? 1
  if (!isCount(everyEpochs, 1)) {
    return E.left(configError(`checkpoint.everyEpochs must be a positive integer, got ${o.checkpoint?.everyEpochs}`))
  }
  const yieldEveryMs = o.yieldEveryMs ?? 4
  if (!(yieldEveryMs >= 0)) return E.left(configError(`yieldEveryMs must be at least 0, got ${o.yieldEveryMs}`))
  if (o.earlyStopping !== undefined && !isCount(o.earlyStopping.patience, 1)) {
    return E.left(configError(`early stopping patience must be a positive integer, got ${o.earlyStopping.patience}`))
  }
  const batchSize = Math.min(requested, data.size)
  const progs = programs(o.model, o.backend, data, batchSize, o.optimizer, o.layerStats === true)
  if (E.isLeft(progs)) return progs
  const params = checkParams(progs.right.specs, o.params)
  if (E.isLeft(params)) {
    void progs.right.dispose()
    return params
  }
  return E.right({
    progs: progs.right,
    params: params.right,
    batchSize,
    testChunk: test !== undefined && test.size > 0 ? Math.min(batchSize, test.size) : undefined,
    seed: o.seed ?? 0,
    classification: o.classification ?? data.classes !== undefined,
    stepEvery,
    yieldEveryMs,
    everyEpochs,
    clock: o.clock ?? (() => performance.now()),
  })
}

/**
 * Compiles now every program the run will meet: the training step for a
 * full batch and for the smaller last batch of an epoch, and the
 * evaluation of the test chunks (and of the training data, for the final
 * training loss), and warms each up (`Executable.warmUp`, where the
 * backend has one). A backend may do much more than compile there (the
 * workers backend starts its shards): all of it then happens before the
 * first epoch, rather than in the middle of one, where it would slow the
 * steps around it. A program that does not
 * compile is left to the step or evaluation that needs it to report.
 */
const compileAhead = (o: TrainOptions, { progs, batchSize, testChunk }: Setup): void => {
  // The sizes of the chunks `batches` cuts `total` samples into: full ones and, unless they divide it, one smaller.
  const sizes = (total: number, chunk: number): number[] => (total % chunk === 0 ? [chunk] : [chunk, total % chunk])
  const warm = (program: E.Either<unknown, { readonly exec: Executable }>): void => {
    if (E.isRight(program)) program.right.exec.warmUp?.()
  }
  for (const size of sizes(o.data.size, batchSize)) warm(progs.updating(size))
  if (testChunk !== undefined) for (const size of sizes(o.test!.size, testChunk)) warm(progs.evaluation(size))
  if (o.finalTrainLoss === true) for (const size of sizes(o.data.size, batchSize)) warm(progs.evaluation(size))
}

/** Lets the event loop run pending I/O, timers and callbacks: one macrotask turn. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)))

/**
 * Runs one training run, reporting through `emit`, until it ends or
 * `signal` is aborted (checked after every await, so an abort takes
 * effect within one step; nothing is emitted after it). Never rejects for a user mistake or a numeric
 * failure: those end the run with an error event.
 *
 * Each step runs the update program of its batch size (see `stepper`).
 *
 * @internal
 */
export const runTraining = async (
  o: TrainOptions,
  emit: (event: TrainEvent) => void,
  signal: AbortSignal,
): Promise<void> => {
  const setup = prepare(o)
  if (E.isLeft(setup)) {
    emit(withParams<TrainErrorEvent>({ type: 'error', message: setup.left.message, step: null, epoch: null, checkpoint: null }, undefined))
    return
  }
  const { progs, batchSize, testChunk, seed, classification, stepEvery, yieldEveryMs, everyEpochs, clock } = setup.right
  compileAhead(o, setup.right)
  // Batches in shared memory where the backend's threads read them in place (see `Backend.sharedBatchInputs`).
  const shared = o.backend.sharedBatchInputs === true
  let checkpoint: string | null = null
  let step = 0
  let epoch = 0
  const fail = (what: string, failedStep: number | null, kept: Kept): void => {
    const note = kept.note === undefined ? '' : ` (${kept.note})`
    const keptText = kept.step === 0 ? `the initial parameters are kept${note}` : `the parameters are kept from step ${kept.step}${note}`
    const saved = checkpoint === null ? 'no checkpoint has been written' : `the last good checkpoint is ${checkpoint}`
    emit(
      withParams<TrainErrorEvent>(
        {
          type: 'error',
          message: `${failedStep === null ? `epoch ${epoch}` : `step ${failedStep} (epoch ${epoch})`}: ${what}; ${keptText}; ${saved}`,
          step: failedStep,
          epoch,
          checkpoint,
        },
        kept.params,
      ),
    )
  }
  try {
    let lastYield = clock()
    // Hands the event loop a turn once `yieldEveryMs` of work has gone by.
    const pace = async (): Promise<void> => {
      if (clock() - lastYield >= yieldEveryMs) {
        await yieldToEventLoop()
        lastYield = clock()
      }
    }
    // Chosen at the first step, when the first training program is compiled.
    let stepper: Stepper | undefined
    const initial = setup.right.params
    const kept = (): Kept => stepper?.kept() ?? { params: initial, step: 0 }
    let last: EpochEvent | undefined
    const widths = progs.layerWidths
    const layerFigures = widths === undefined ? undefined : layerStatsAccumulator(widths)
    for (epoch = 1; epoch <= o.epochs; epoch++) {
      let lossSum = 0
      const metricSums = progs.metricNames.map(() => 0)
      let count = 0
      let samples = 0
      let busy = 0
      // Each batch is done with before the next is drawn, so one pair of arrays serves them all.
      for (const batch of batches(o.data, batchSize, { seed, epoch, reuse: true, shared, dtype: batchDType(progs) })) {
        if (signal.aborted) return
        if (stepper === undefined) {
          const first = progs.updating(batch.size)
          if (E.isLeft(first)) return fail(first.left.message, null, kept())
          stepper = makeStepper({ progs, first: first.right, backendName: o.backend.name, data: o.data, batchSize, seed, initial, clock, signal, pace })
        }
        const at = step + 1
        const outcome = await stepper.step(batch, { step: at, epoch })
        if (outcome.type === 'stopped' || signal.aborted) return
        if (outcome.type === 'failed') return fail(outcome.message, outcome.step, outcome.kept)
        const loss = outcome.loss
        step = at
        layerFigures?.add(outcome.stats, batch.size)
        busy += outcome.ms
        samples += batch.size
        lossSum += loss
        outcome.metrics.forEach((m, i) => (metricSums[i]! += m))
        count += 1
        if (stepEvery > 0 && step % stepEvery === 0) {
          emit(Object.freeze<StepEvent>({ type: 'step', step, epoch, loss }))
        }
        await pace()
      }
      if (signal.aborted) return
      const ended = stepper!.endEpoch()
      if (E.isLeft(ended)) return fail(ended.left, null, kept())
      const params = ended.right
      let testLoss: number | null = null
      let testAccuracy: number | null = null
      let evaluation: Pick<EpochEvent, 'confusion' | 'misclassified'> = {}
      if (testChunk !== undefined) {
        const evaluated = await evaluateOn(progs, o.test!, params, testChunk, classification, signal, pace)
        if (evaluated === undefined || signal.aborted) return
        if (E.isLeft(evaluated)) return fail(evaluated.left.message, null, kept())
        testLoss = evaluated.right.loss
        testAccuracy = evaluated.right.accuracy
        const { confusion, misclassified } = evaluated.right
        if (confusion !== null) evaluation = { confusion, misclassified }
      }
      const figures = {
        trainLoss: lossSum / count,
        testLoss,
        testAccuracy,
        samplesPerSecond: (samples * 1000) / Math.max(busy, 1e-3),
        ...(progs.metricNames.length === 0
          ? {}
          : { metrics: Object.fromEntries(progs.metricNames.map((name, i) => [name, metricSums[i]! / count])) }),
      }
      if (o.checkpoint !== undefined && (epoch % everyEpochs === 0 || epoch === o.epochs)) {
        const saved = await saveParams(o.checkpoint.path, params, { ...(o.checkpoint.io ? { io: o.checkpoint.io } : {}), ...(o.checkpoint.model ? { model: o.checkpoint.model } : {}) })
        if (signal.aborted) return
        if (E.isLeft(saved)) return fail(saved.left.message, null, kept())
        checkpoint = saved.right
      }
      const layers = layerFigures === undefined ? {} : { layers: layerFigures.take() }
      last = withParams<EpochEvent>({ type: 'epoch', epoch, ...figures, steps: step, checkpoint, ...evaluation, ...layers }, params)
      emit(last)
    }
    if (o.finalTrainLoss !== true) return emit(doneAfter(last!, false))
    const final = await evaluateOn(progs, o.data, last!.params, batchSize, false, signal, pace)
    if (final === undefined || signal.aborted) return
    if (E.isLeft(final)) return fail(final.left.message, null, kept())
    const metrics = progs.metricNames.length === 0 ? {} : { finalMetrics: final.right.metrics }
    emit(withParams<DoneEvent>({ ...doneAfter(last!, false), finalTrainLoss: final.right.loss, ...metrics }, last!.params))
  } finally {
    await progs.dispose()
  }
}
