import type { RunRecord, RunSource } from './run-record.js'

/**
 * The lines of a run's `events.jsonl` that hold training events, and what
 * was wrong with the others.
 *
 * @category Run log
 */
export interface EventLines {
  /** The complete lines that parse as training events, in order. */
  readonly lines: readonly string[]
  /** The same lines, parsed. */
  readonly events: readonly Readonly<Record<string, unknown>>[]
  /** A last line without its newline: torn by a crash, or still being written. */
  readonly torn: boolean
  /** One message per complete line that is not a training event. */
  readonly problems: readonly string[]
}

const isEvent = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { type?: unknown }).type === 'string'

/**
 * Reads the text of an `events.jsonl`. Every line is written whole with its
 * newline, so a last piece without one is a torn line (left out, and
 * flagged); a complete line that is not a JSON training event is reported,
 * never thrown.
 *
 * @example
 * ```ts
 * parseEventLines('{"type":"epoch","epoch":1}\n{"type":"ep') // { lines: ['{"type":"epoch","epoch":1}'], torn: true, ... }
 * ```
 * @category Run log
 */
export const parseEventLines = (text: string): EventLines => {
  const pieces = text.split('\n')
  const rest = pieces.pop()!
  const lines: string[] = []
  const events: Readonly<Record<string, unknown>>[] = []
  const problems: string[] = []
  pieces.forEach((line, i) => {
    if (line.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      value = undefined
    }
    if (isEvent(value)) {
      lines.push(line)
      events.push(value)
    } else problems.push(`events.jsonl line ${i + 1} is not a training event`)
  })
  return { lines, events, torn: rest.trim() !== '', problems }
}

/**
 * Reads the text of a `settings.json` into a {@link RunRecord}, or says in
 * one line what is wrong with it. `id` is the folder's name, which the
 * record must repeat.
 *
 * @example
 * ```ts
 * parseRunRecord('{', 'a') // left('settings.json is not JSON: ...')
 * ```
 * @category Run log
 */
export const parseRunRecord = (text: string, id: string): { readonly record: RunRecord } | { readonly problem: string } => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { problem: `settings.json is not JSON: ${error instanceof Error ? error.message : String(error)}` }
  }
  const r = value as Partial<Record<keyof RunRecord, unknown>> | null
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return { problem: 'settings.json does not hold an object' }
  if (typeof r.settings !== 'object' || r.settings === null || Array.isArray(r.settings)) {
    return { problem: 'settings.json has no "settings" object' }
  }
  if (r.id !== id) return { problem: `settings.json names the run ${JSON.stringify(r.id)}, not its folder ${JSON.stringify(id)}` }
  return {
    record: {
      id,
      startedAt: typeof r.startedAt === 'string' ? r.startedAt : '',
      source: r.source === 'cli' ? 'cli' : ('dashboard' satisfies RunSource),
      pid: typeof r.pid === 'number' ? r.pid : 0,
      host: typeof r.host === 'string' ? r.host : '',
      settings: r.settings as Readonly<Record<string, unknown>>,
    },
  }
}
