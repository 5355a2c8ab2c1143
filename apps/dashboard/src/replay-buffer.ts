import type { TrainEvent } from '@backprop/trainer'
import { decimated } from './decimated.js'

/**
 * One training event of one run, numbered: `run` counts the runs this server
 * started (from 1), `seq` the events of that run (from 1). Together they are
 * the SSE event id `run-seq`.
 *
 * @category Replay
 */
export interface RunEntry {
  /** The run the event belongs to, from 1. */
  readonly run: number
  /** The event's position in its run, from 1. */
  readonly seq: number
  /** The event, as the trainer emitted it. */
  readonly event: TrainEvent
}

/**
 * How much of a run a {@link ReplayBuffer} keeps for clients that join late.
 *
 * @category Replay
 */
export interface ReplayLimits {
  /** Step events kept, thinned evenly over the run (default 2000). */
  readonly steps?: number
  /** Epoch events kept, thinned evenly over the run once there are more (default 10000). */
  readonly epochs?: number
}

/**
 * The events of one run so far, in bounded memory, for clients that join
 * late: every `done` and `error` event, the epoch events (all of them up to
 * the limit, then an even sample), and an even sample of the step events,
 * always including the latest of each kind.
 *
 * @category Replay
 */
export interface ReplayBuffer {
  /** Records an entry of the run. */
  readonly add: (entry: RunEntry) => void
  /** The kept entries with `seq` above `afterSeq` (default 0: all), in order. */
  readonly entries: (afterSeq?: number) => readonly RunEntry[]
}

/**
 * An empty {@link ReplayBuffer}.
 *
 * @example
 * ```ts
 * const buffer = replayBuffer({ steps: 100 })
 * events.forEach((event, i) => buffer.add({ run: 1, seq: i + 1, event }))
 * buffer.entries() // every epoch and done event, at most ~100 step events
 * ```
 * @category Replay
 */
export const replayBuffer = (limits: ReplayLimits = {}): ReplayBuffer => {
  const steps = decimated<RunEntry>(limits.steps ?? 2000)
  const epochs = decimated<RunEntry>(limits.epochs ?? 10_000)
  const endings: RunEntry[] = []
  return {
    add: (entry) => {
      const { type } = entry.event
      if (type === 'step') steps.add(entry)
      else if (type === 'epoch') epochs.add(entry)
      else endings.push(entry)
    },
    entries: (afterSeq = 0) =>
      [...steps.items(), ...epochs.items(), ...endings].filter((e) => e.seq > afterSeq).sort((a, b) => a.seq - b.seq),
  }
}
