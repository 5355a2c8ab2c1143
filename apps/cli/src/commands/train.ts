import { jsonLine, type TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { lastValueFrom, tap } from 'rxjs'
import { parseArgs } from '../args.js'
import { progressBar } from '../progress.js'
import type { RunWriter } from '@backprop/dashboard'
import { type PreparedRun, prepareRun, settingsFromArgs, trainOptions } from '../training.js'
import { type Command, interrupted } from './command.js'

/**
 * Keeps the run in `logDir` (as the dashboard keeps its runs, so they show
 * up there): its settings, with the layer sizes the run resolved, and every
 * event `--json` prints. The dashboard's code loads only when asked for.
 */
const keepRun = async (logDir: string, run: PreparedRun): Promise<E.Either<string, RunWriter>> => {
  const { openRun } = await import('@backprop/dashboard')
  return openRun(logDir, { ...run.settings, layers: run.sizes }, 'cli')
}

/** Aborts `controller` on the first Ctrl-C (SIGINT) until `release` is called; a second one ends the process as usual. */
const interruptible = (controller: AbortController): { release: () => void } => {
  const interrupt = (): void => controller.abort()
  process.once('SIGINT', interrupt)
  return { release: () => process.off('SIGINT', interrupt) }
}

/**
 * `backprop train [options] [--json]`: trains a layered network, or with
 * `--net FILE.json` a general feed-forward network. With
 * `--json`, one JSON event per line (CONTRACT.md); otherwise a progress bar
 * with epoch, loss and ETA on a terminal, and a line per epoch. With
 * `--log-dir DIR`, the run is also kept as `DIR/<run-id>/`. Ctrl-C stops
 * the run within a step (its checkpoint and log keep what the completed
 * epochs wrote) and exits with status 130.
 */
export const trainCommand: Command = async (argv, out) => {
  const args = parseArgs(argv, trainOptions)
  const controller = new AbortController()
  const prepared = pipe(
    args,
    E.flatMap(settingsFromArgs),
    E.flatMap((settings) => prepareRun(settings, controller.signal)),
  )
  if (E.isLeft(prepared)) return prepared
  const run = prepared.right
  const options = E.isRight(args) ? args.right.options : {}
  const logDir = options['log-dir']
  const writer = typeof logDir === 'string' ? await keepRun(logDir, run) : undefined
  if (writer !== undefined && E.isLeft(writer)) return writer
  const json = options['json'] === true
  const show = json ? (event: TrainEvent) => event.type !== 'step' && out(jsonLine(event)) : progressBar(run, out)
  const interrupts = interruptible(controller)
  try {
    const last = await lastValueFrom(run.events.pipe(tap((event) => (show(event), writer?.right.append(event)))), {
      defaultValue: undefined,
    })
    if (controller.signal.aborted) {
      if (!json) out(`stopped by Ctrl-C${last?.type === 'epoch' && last.checkpoint !== null ? `; ${last.checkpoint} holds epoch ${last.epoch}` : ''}`)
      return E.right(interrupted)
    }
    return last?.type === 'error' ? E.left(last.message) : E.right(undefined)
  } finally {
    interrupts.release()
    writer?.right.close()
  }
}
