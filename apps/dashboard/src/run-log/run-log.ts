import { lstat, readFile, readdir, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { parseEventLines, parseRunRecord } from './run-files.js'
import { eventsFile, isRunId, type RunRecord, type RunSource, settingsFile } from './run-record.js'

/**
 * Where a run kept on disk is: `running` (its writer is alive), ended by its
 * `done` or `error` event (`done`, `failed`), ended without one (`stopped`:
 * stopped by a person, or its process ended), or `damaged` (its
 * `settings.json` is missing or unreadable, or its `events.jsonl` holds
 * lines that are not events or a torn last line; `problems` says which).
 *
 * @category Run log
 */
export type StoredRunState = 'running' | 'done' | 'failed' | 'stopped' | 'damaged'

/**
 * One run of a log directory, as `GET /runs` lists it.
 *
 * @category Run log
 */
export interface RunSummary {
  /** The run's id, the name of its folder. */
  readonly id: string
  /** Where the run is. */
  readonly state: StoredRunState
  /** Its settings, or `null` when `settings.json` is unreadable. */
  readonly settings: Readonly<Record<string, unknown>> | null
  /** When it started (ISO 8601), or `null` when unknown. */
  readonly startedAt: string | null
  /** What started it, or `null` when unknown. */
  readonly source: RunSource | null
  /** Epoch events it has so far. */
  readonly epochs: number
  /** Its latest figures (those of its last epoch or done event), or `null` before the first epoch ended. */
  readonly last: Readonly<Record<string, unknown>> | null
  /** The message of its error event, if it failed. */
  readonly message: string | null
  /** What is wrong with its files, one line each. */
  readonly problems: readonly string[]
}

/**
 * Why a request about a stored run was refused.
 *
 * @category Run log
 */
export type RunLogError =
  | { readonly _tag: 'BadId'; readonly message: string }
  | { readonly _tag: 'NotFound'; readonly message: string }
  | { readonly _tag: 'Running'; readonly message: string }

/**
 * A log directory of runs, one folder each (`settings.json` and
 * `events.jsonl`), written by the dashboard and by `backprop train
 * --log-dir`.
 *
 * @category Run log
 */
export interface RunLog {
  /** The directory. */
  readonly dir: string
  /** Every run folder, newest first; a damaged run is listed as such, never an error. */
  readonly list: () => Promise<readonly RunSummary[]>
  /** A run's `events.jsonl` lines that hold events (a torn last line left out), newline-terminated. */
  readonly events: (id: string) => Promise<E.Either<RunLogError, string>>
  /** A run's settings, from its `settings.json`. */
  readonly settings: (id: string) => Promise<E.Either<RunLogError, Readonly<Record<string, unknown>>>>
  /** Removes a run's folder, unless it is running. */
  readonly remove: (id: string) => Promise<E.Either<RunLogError, void>>
}

/** Whether the process that wrote a record is still alive (on this host: a pid means nothing elsewhere). */
const writerAlive = (record: RunRecord): boolean => {
  if (record.host !== hostname() || !Number.isSafeInteger(record.pid) || record.pid <= 0) return false
  try {
    process.kill(record.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const readText = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The figures a run list shows of an epoch or done event. */
const figuresOf = (event: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  const { trainLoss, testLoss, testAccuracy, samplesPerSecond, steps } = event
  const epoch = event['type'] === 'done' ? event['epochs'] : event['epoch']
  return { epoch, steps, trainLoss, testLoss, testAccuracy, samplesPerSecond }
}

/** What a run's two files say, as far as a listing needs it. */
interface FileFacts {
  readonly record: RunRecord | undefined
  readonly settingsProblem: string | undefined
  readonly eventsMissing: boolean
  readonly lines: { readonly problems: readonly string[]; readonly torn: boolean }
  readonly ending: Readonly<Record<string, unknown>> | undefined
  readonly lastFigures: Readonly<Record<string, unknown>> | undefined
  readonly epochs: number
}

const readFacts = async (folder: string, id: string): Promise<FileFacts> => {
  const [settingsText, eventsText] = await Promise.all([readText(join(folder, settingsFile)), readText(join(folder, eventsFile))])
  const parsed = settingsText === undefined ? { problem: 'settings.json is missing' } : parseRunRecord(settingsText, id)
  const { events, problems, torn } = parseEventLines(eventsText ?? '')
  return {
    record: 'record' in parsed ? parsed.record : undefined,
    settingsProblem: 'problem' in parsed ? parsed.problem : undefined,
    eventsMissing: eventsText === undefined,
    lines: { problems, torn },
    ending: events.findLast((e) => e['type'] === 'done' || e['type'] === 'error'),
    lastFigures: events.findLast((e) => e['type'] === 'done' || e['type'] === 'epoch'),
    epochs: events.filter((e) => e['type'] === 'epoch').length,
  }
}

/**
 * The {@link RunLog} of `dir` (which need not exist yet: it lists no runs).
 * `isActive` tells which run this process is writing right now: a run
 * written by this very process is running exactly when it says so.
 *
 * @example
 * ```ts
 * const log = runLog('runs')
 * for (const run of await log.list()) console.log(run.id, run.state, run.last?.testAccuracy)
 * ```
 * @category Run log
 */
export const runLog = (dir: string, isActive: (id: string) => boolean = () => false): RunLog => {
  const folderOf = async (id: string): Promise<E.Either<RunLogError, string>> => {
    if (!isRunId(id)) return E.left({ _tag: 'BadId', message: `'${id}' is not a run id` })
    const folder = join(dir, id)
    // lstat: a symbolic link named like a run is not a run folder, so nothing outside `dir` is read or removed.
    const info = await lstat(folder).catch(() => undefined)
    return info?.isDirectory() === true ? E.right(folder) : E.left({ _tag: 'NotFound', message: `there is no run '${id}'` })
  }

  /** What a run's files say, by run id, with the identity of the files it was read from. */
  const read = new Map<string, { readonly key: string; readonly facts: FileFacts }>()

  /**
   * What a run's files say, read again only when either file changed: a
   * page polls `/runs` every few seconds, and re-reading every run's events
   * on each poll would cost a live run more the more runs are kept.
   */
  const factsOf = async (folder: string, id: string): Promise<FileFacts> => {
    const key = (await Promise.all([settingsFile, eventsFile].map((f) => stat(join(folder, f)).catch(() => undefined))))
      .map((s) => (s === undefined ? '-' : `${s.ino}:${s.size}:${s.mtimeMs}`))
      .join('/')
    const known = read.get(id)
    if (known?.key === key) return known.facts
    const facts = await readFacts(folder, id)
    read.set(id, { key, facts })
    return facts
  }

  const summary = async (id: string): Promise<RunSummary> => {
    const folder = join(dir, id)
    const { record, settingsProblem, eventsMissing, lines, ending, lastFigures, epochs } = await factsOf(folder, id)
    const running =
      ending === undefined && record !== undefined && (record.pid === process.pid ? isActive(id) : writerAlive(record))
    const problems = [
      ...(settingsProblem === undefined ? [] : [settingsProblem]),
      ...(eventsMissing ? ['events.jsonl is missing'] : []),
      ...lines.problems,
      // A running writer may be half-way through a line; a stopped one left it torn.
      ...(lines.torn && !running ? ['events.jsonl ends with a torn line (left out)'] : []),
    ]
    const state: StoredRunState = running
      ? 'running'
      : problems.length > 0
        ? 'damaged'
        : ending?.['type'] === 'done'
          ? 'done'
          : ending?.['type'] === 'error'
            ? 'failed'
            : 'stopped'
    return {
      id,
      state,
      settings: record?.settings ?? null,
      startedAt: record?.startedAt ?? null,
      source: record?.source ?? null,
      epochs,
      last: lastFigures === undefined ? null : figuresOf(lastFigures),
      message: ending?.['type'] === 'error' && typeof ending['message'] === 'string' ? ending['message'] : null,
      problems,
    }
  }

  return {
    dir,
    list: async () => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
      const ids = entries.filter((e) => e.isDirectory() && isRunId(e.name)).map((e) => e.name)
      // Forget runs whose folders are gone (removed by another process, say).
      for (const known of read.keys()) if (!ids.includes(known)) read.delete(known)
      const runs = await Promise.all(ids.map(summary))
      return runs.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.id.localeCompare(a.id))
    },
    events: async (id) => {
      const folder = await folderOf(id)
      if (E.isLeft(folder)) return folder
      const text = await readText(join(folder.right, eventsFile))
      const { lines } = parseEventLines(text ?? '')
      return E.right(lines.map((line) => `${line}\n`).join(''))
    },
    settings: async (id) => {
      const folder = await folderOf(id)
      if (E.isLeft(folder)) return folder
      const { settings } = await summary(id)
      return settings === null ? E.left({ _tag: 'NotFound', message: `run '${id}' has no readable settings.json` }) : E.right(settings)
    },
    remove: async (id) => {
      const folder = await folderOf(id)
      if (E.isLeft(folder)) return folder
      if ((await summary(id)).state === 'running') {
        return E.left({ _tag: 'Running', message: `run '${id}' is still running: stop it before deleting it` })
      }
      await rm(folder.right, { recursive: true, force: true })
      read.delete(id)
      return E.right(undefined)
    },
  }
}
