import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { jsonLine, type TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { eventsFile, newRunId, type RunRecord, type RunSource, settingsFile } from './run-record.js'

/**
 * A run being written to its folder of a log directory.
 *
 * @category Run log
 */
export interface RunWriter {
  /** The run's id, the name of its folder. */
  readonly id: string
  /** The folder. */
  readonly dir: string
  /** Appends the event's `train --json` line to `events.jsonl` (step events are not kept, as `--json` prints none). */
  readonly append: (event: TrainEvent) => void
  /** Closes the events file; later appends do nothing. */
  readonly close: () => void
}

/**
 * Creates `logDir/<new id>/` with `settings.json` (written atomically: a
 * reader sees the whole file or none) and an empty `events.jsonl`, to which
 * each event is appended as it happens, one `write` per line, so a crash
 * can leave at most the last line torn. Fails with one line when the
 * folder cannot be made.
 *
 * @example
 * ```ts
 * const log = openRun('runs', { dataset: 'iris', lr: 0.01 }, 'cli')
 * if (E.isRight(log)) events$.subscribe({ next: log.right.append, complete: log.right.close })
 * ```
 * @category Run log
 */
export const openRun = (
  logDir: string,
  settings: Readonly<Record<string, unknown>>,
  source: RunSource,
  now: Date = new Date(),
): E.Either<string, RunWriter> => {
  const dataset = typeof settings['dataset'] === 'string' ? settings['dataset'] : 'run'
  try {
    mkdirSync(logDir, { recursive: true })
    let id = newRunId(dataset, now)
    // Two runs started in the same second draw different suffixes; retry the rare collision.
    for (let tries = 0; ; tries++) {
      try {
        mkdirSync(join(logDir, id))
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 20) throw error
        id = newRunId(dataset, now)
      }
    }
    const dir = join(logDir, id)
    const record: RunRecord = { id, startedAt: now.toISOString(), source, pid: process.pid, host: hostname(), settings }
    const temp = join(dir, `.${settingsFile}.tmp`)
    writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`)
    renameSync(temp, join(dir, settingsFile))
    let fd: number | undefined = openSync(join(dir, eventsFile), 'a')
    return E.right({
      id,
      dir,
      append: (event) => {
        if (fd === undefined || event.type === 'step') return
        writeSync(fd, `${jsonLine(event)}\n`)
      },
      close: () => {
        if (fd !== undefined) closeSync(fd)
        fd = undefined
      },
    })
  } catch (error) {
    return E.left(`cannot keep the run in ${logDir}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
