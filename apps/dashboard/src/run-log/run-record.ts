/**
 * Where a run kept on disk came from: started on the dashboard's page, or by
 * `backprop train --log-dir`.
 *
 * @category Run log
 */
export type RunSource = 'dashboard' | 'cli'

/**
 * The contents of a run's `settings.json`: who started it, when, and with
 * what settings (the options of `backprop train` as a plain object).
 *
 * @category Run log
 */
export interface RunRecord {
  /** The run's id, also the name of its folder. */
  readonly id: string
  /** When the run started, as an ISO 8601 string. */
  readonly startedAt: string
  /** What started it. */
  readonly source: RunSource
  /** The process that writes its events, so a reader can tell a live run from one that was cut short. */
  readonly pid: number
  /** The host of that process (a process id means nothing on another machine). */
  readonly host: string
  /** The run's settings. */
  readonly settings: Readonly<Record<string, unknown>>
}

/** The name of a run's settings file in its folder. */
export const settingsFile = 'settings.json'

/** The name of a run's events file in its folder. */
export const eventsFile = 'events.jsonl'

/**
 * Whether `id` can name a run folder: letters, digits, `.`, `_` and `-`,
 * not starting with a dot, so an id taken from a URL can never leave the
 * log directory.
 *
 * @example
 * ```ts
 * isRunId('20261202-064012-iris-3fa2') // true
 * isRunId('../etc')                    // false
 * ```
 * @category Run log
 */
export const isRunId = (id: string): boolean => /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(id)

/**
 * A new run id: the start time to the second (so folders sort by time), the
 * data set's name and four random hex digits, e.g. `20261202-064012-iris-3fa2`.
 *
 * @example
 * ```ts
 * newRunId('data/house prices.csv', new Date('2026-12-02T06:40:12Z')) // '20261202-064012-house-prices-…'
 * ```
 * @category Run log
 */
export const newRunId = (dataset: string, now: Date = new Date()): string => {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  const name = (dataset.split(/[\\/]/).pop() ?? '').replace(/\.csv$/i, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32)
  const random = Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')
  return [stamp, name || 'run', random].join('-')
}
