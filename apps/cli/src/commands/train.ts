import { jsonLine, type TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { lastValueFrom, tap } from 'rxjs'
import { parseArgs } from '../args.js'
import { progressBar } from '../progress.js'
import { prepareRun, settingsFromArgs, trainOptions } from '../training.js'
import type { Command } from './command.js'

/**
 * `backprop train [options] [--json]`: trains a layered network, or with
 * `--net FILE.json` a general feed-forward network. With
 * `--json`, one JSON event per line (CONTRACT.md); otherwise a progress bar
 * with epoch, loss and ETA on a terminal, and a line per epoch.
 */
export const trainCommand: Command = async (argv, out) => {
  const args = parseArgs(argv, trainOptions)
  const prepared = pipe(args, E.chain(settingsFromArgs), E.chain(prepareRun))
  if (E.isLeft(prepared)) return prepared
  const run = prepared.right
  const json = E.isRight(args) && args.right.options['json'] === true
  const show = json ? (event: TrainEvent) => event.type !== 'step' && out(jsonLine(event)) : progressBar(run, out)
  const last = await lastValueFrom(run.events.pipe(tap(show)), { defaultValue: undefined })
  return last?.type === 'error' ? E.left(last.message) : E.right(undefined)
}
