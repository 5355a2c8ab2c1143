import { type Params, type TrainErrorEvent, type TrainEvent, eventParams } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { castDraft, produce } from 'immer'
import {
  BehaviorSubject,
  EMPTY,
  type Observable,
  type SchedulerLike,
  Subject,
  Subscription,
  asyncScheduler,
  concat,
  defer,
  distinctUntilChanged,
  filter,
  from,
  map,
  share,
  switchMap,
} from 'rxjs'
import { type ReplayBuffer, type ReplayLimits, type RunEntry, replayBuffer } from './replay-buffer.js'
import type { RunWriter } from './run-log/run-writer.js'
import type { RunSettings } from './settings.js'
import { throttleWhere } from './throttle-where.js'

/**
 * Starts a training run: the settings' error as one line (naming the
 * setting, e.g. `--layers ...`, where it can), or the run's events as a cold
 * Observable that starts the run when subscribed and stops it when
 * `signal` is aborted (pass it to `train` as `TrainOptions.signal`) or when
 * unsubscribed. Slow preparation (loading a dataset) belongs inside the
 * Observable, so that starting returns at once; failures there arrive as an
 * `error` event.
 *
 * @category Server
 */
export type StartRun = (settings: RunSettings, signal: AbortSignal) => E.Either<string, Observable<TrainEvent>>

/**
 * Where the dashboard's run is: none started yet (`idle`), `running`, or
 * ended by its `done` event, by an `error` event (`failed`) or by a person
 * (`stopped`).
 *
 * @category Server
 */
export type RunState = 'idle' | 'running' | 'done' | 'failed' | 'stopped'

/**
 * The state of the current (or last) run, as served at `/status`.
 *
 * @category Server
 */
export interface RunStatus {
  /** Where the run is. */
  readonly state: RunState
  /** The run's number, from 1; 0 before the first run. */
  readonly run: number
  /** The run's id in the log directory (`GET /runs/<id>/events`), or `null` when runs are not kept. */
  readonly id: string | null
  /** The run's settings; `null` before the first run. */
  readonly settings: RunSettings | null
  /** When the run started (ISO 8601), for its elapsed time; `null` before the first run. */
  readonly startedAt: string | null
  /** Why the run failed (its `error` event's message), else `null`. */
  readonly message: string | null
}

/**
 * Why a run was not started: another is still going (`Busy`), or the
 * run's starter refused the settings (`Invalid`, with its one-line message).
 *
 * @category Server
 */
export type StartRefusal = { readonly _tag: 'Busy'; readonly message: string } | { readonly _tag: 'Invalid'; readonly message: string }

/**
 * How a client watches the runs.
 *
 * @category Server
 */
export interface WatchOptions {
  /**
   * The id (`run-seq`) of the last event the client has, as SSE's
   * `Last-Event-ID` sends it on reconnection: the replay then starts after
   * it if it is of the current run.
   */
  readonly lastEventId?: string
  /** Live step events are thinned to at most one per this many ms (default 100; 0 sends all). */
  readonly stepInterval?: number
  /** The scheduler of the thinning (tests pass a virtual one). */
  readonly scheduler?: SchedulerLike
}

/**
 * An entry as a watcher receives it: from the replay of the run so far
 * (`replayed`, which must reach the watcher however slowly it reads) or
 * live.
 *
 * @category Server
 */
export interface WatchedEntry extends RunEntry {
  /** True for entries of the replay a watcher gets first, false for live ones. */
  readonly replayed: boolean
}

/**
 * The parameters of the current (or last) run as its latest event that
 * carries them left them: after an epoch, at the end, or the last good ones
 * of a failed run.
 *
 * @category Server
 */
export interface LatestParams {
  /** The run's number, from 1. */
  readonly run: number
  /** The run's settings. */
  readonly settings: RunSettings
  /** The epochs completed when these were the parameters (for a failed run, the epoch it failed in). */
  readonly epoch: number | null
  /** The parameters, by name. */
  readonly params: Params
}

/**
 * The dashboard's one run at a time: starts and stops it, owns the only
 * subscription to the trainer's Observable (so watchers that come and go
 * never start, stop or slow it), keeps a bounded replay of its events, and
 * hands every watcher the replay followed by the live events.
 *
 * @category Server
 */
export interface RunManager {
  /** The current status. */
  readonly status: () => RunStatus
  /** The status now and at every change; completes on {@link RunManager.close}. */
  readonly status$: Observable<RunStatus>
  /** Starts a run with settings already checked, unless one is going or the starter refuses them. */
  readonly start: (settings: RunSettings) => E.Either<StartRefusal, RunStatus>
  /** Stops the running run by aborting its signal (and unsubscribing from it); a message when no run is going. */
  readonly stop: () => E.Either<string, RunStatus>
  /**
   * The events of the current run, first those kept so far and then live
   * ones, and then those of every later run; completes on
   * {@link RunManager.close}. Unsubscribing affects only this watcher.
   */
  readonly watch: (options?: WatchOptions) => Observable<WatchedEntry>
  /** The current (or last) run's latest parameters, or `undefined` before any event carried them. */
  readonly latestParams: () => LatestParams | undefined
  /** Stops a running run and completes every stream. */
  readonly close: () => void
}

/**
 * Keeps a run as it happens (in a log directory): called as a run starts,
 * it answers where the events go, or why they cannot be kept (and then the
 * run does not start).
 *
 * @category Server
 */
export type KeepRun = (settings: RunSettings) => E.Either<string, RunWriter>

/** One run's resources: its replay, its live events, the subscription that drives it and the controller that stops it. */
interface Run {
  readonly id: number
  readonly controller: AbortController
  readonly writer: RunWriter | undefined
  readonly buffer: ReplayBuffer
  readonly live: Subject<RunEntry>
  /** The live entries thinned for watchers, one stream per step interval, shared by the watchers that ask for it. */
  readonly thinned: Map<number, Observable<WatchedEntry>>
  readonly subscription: Subscription
}

const idle: RunStatus = { state: 'idle', run: 0, id: null, settings: null, startedAt: null, message: null }

/**
 * What the manager knows of the current (or last) run, an immutable value
 * replaced at every change: its status, the `seq` of its latest event (0
 * before the first) and the latest parameters an event carried. Its
 * transitions are immer recipes, which read as the assignments they make to
 * the nested record; immer freezes what they return, the kept parameters
 * included.
 */
interface Ledger {
  readonly status: RunStatus
  readonly seq: number
  readonly latest: LatestParams | undefined
}

/** The epochs completed when `event` was emitted: none for a step, the epoch it ended (or failed in), all for `done`. */
const epochOf = (event: TrainEvent): number | null =>
  event.type === 'done' ? event.epochs : event.type === 'step' ? null : event.epoch

/** The ledger after its run's next event: one more, and its parameters if it carries them. */
const recorded = (ledger: Ledger, event: TrainEvent): Ledger =>
  produce(ledger, (l) => {
    l.seq += 1
    const params = eventParams(event)
    if (params !== undefined && l.status.settings !== null) {
      l.latest = { run: l.status.run, settings: l.status.settings, epoch: epochOf(event), params: castDraft(params) }
    }
  })

/** The ledger with its run ended in `state`, for the reason `message`. */
const ended = (ledger: Ledger, state: RunState, message: string | null): Ledger =>
  produce(ledger, (l) => {
    l.status.state = state
    l.status.message = message
  })

/** Reads an SSE event id `run-seq`. */
const parseEventId = (id: string | undefined): { readonly run: number; readonly seq: number } | undefined => {
  const match = id === undefined ? null : /^(\d+)-(\d+)$/.exec(id.trim())
  return match === null ? undefined : { run: Number(match[1]), seq: Number(match[2]) }
}

/**
 * A {@link RunManager} that starts runs with `startRun`, keeps `limits` of
 * each run for late watchers and, given `keep`, every run on disk.
 *
 * @example
 * ```ts
 * const runs = runManager((settings) => E.right(trainWith(settings)))
 * runs.watch().subscribe(({ event }) => console.log(JSON.stringify(event)))
 * runs.start(defaultSettings)
 * ```
 * @category Server
 */
export const runManager = (startRun: StartRun, limits: ReplayLimits = {}, keep?: KeepRun): RunManager => {
  const ledger$ = new BehaviorSubject<Ledger>({ status: idle, seq: 0, latest: undefined })
  const status$ = ledger$.pipe(
    map((l) => l.status),
    distinctUntilChanged(),
  )
  const runs$ = new BehaviorSubject<Run | undefined>(undefined)
  let lastRun = 0

  /** Ends `run` if it is still the running one; later calls do nothing. */
  const finish = (run: Run, state: RunState, message: string | null): void => {
    const now = ledger$.value.status
    if (now.state !== 'running' || now.run !== run.id) return
    run.controller.abort()
    run.subscription.unsubscribe()
    run.writer?.close()
    run.live.complete()
    ledger$.next(ended(ledger$.value, state, message))
  }

  const start = (settings: RunSettings): E.Either<StartRefusal, RunStatus> => {
    const now = ledger$.value.status
    if (now.state === 'running') {
      return E.left({ _tag: 'Busy', message: `run ${now.run} is still going: stop it before starting another` })
    }
    const controller = new AbortController()
    const started = startRun(settings, controller.signal)
    if (E.isLeft(started)) return E.left({ _tag: 'Invalid', message: started.left })
    const writer = keep?.(settings)
    if (writer !== undefined && E.isLeft(writer)) return E.left({ _tag: 'Invalid', message: writer.left })
    const run: Run = {
      id: ++lastRun,
      controller,
      writer: writer?.right,
      buffer: replayBuffer(limits),
      live: new Subject(),
      thinned: new Map(),
      subscription: new Subscription(),
    }
    let ending: TrainEvent | undefined
    const record = (event: TrainEvent): void => {
      ledger$.next(recorded(ledger$.value, event))
      const entry: RunEntry = { run: run.id, seq: ledger$.value.seq, event }
      run.writer?.append(event)
      run.buffer.add(entry)
      run.live.next(entry)
    }
    const status: RunStatus = { state: 'running', run: run.id, id: run.writer?.id ?? null, settings, startedAt: new Date().toISOString(), message: null }
    ledger$.next({ status, seq: 0, latest: undefined })
    // Watchers switch to the new run before it starts, so they see its first event live.
    runs$.next(run)
    run.subscription.add(
      started.right.subscribe({
        next: (event) => {
          const now = ledger$.value.status
          if (now.run !== run.id || now.state !== 'running') return
          if (event.type === 'done' || event.type === 'error') ending = event
          record(event)
        },
        error: (error: unknown) => {
          // The trainer reports failures as events; an Observable error is a bug, shown the same way.
          const message = `internal error: ${error instanceof Error ? error.message : String(error)}`
          const event: TrainErrorEvent = { type: 'error', message, step: null, epoch: null, checkpoint: null }
          record(event)
          finish(run, 'failed', message)
        },
        // A run that completes without `done` or `error` was stopped (its signal aborted).
        complete: () =>
          ending?.type === 'error' ? finish(run, 'failed', ending.message) : finish(run, ending === undefined ? 'stopped' : 'done', null),
      }),
    )
    return E.right(ledger$.value.status)
  }

  const stop = (): E.Either<string, RunStatus> => {
    const run = runs$.value
    if (ledger$.value.status.state !== 'running' || run === undefined) return E.left('no run is going')
    finish(run, 'stopped', null)
    return E.right(ledger$.value.status)
  }

  /**
   * The live entries of `run` thinned to a step event per `interval` ms.
   * Watchers on the default scheduler share one thinned stream per
   * interval: with 50 watchers, every step event then passes one throttle
   * instead of 50 (the watchers bench measures what watchers cost a run).
   */
  const liveEntries = (run: Run, interval: number, scheduler: SchedulerLike | undefined): Observable<WatchedEntry> => {
    const make = (): Observable<WatchedEntry> =>
      (interval > 0 ? run.live.pipe(throttleWhere((e) => e.event.type === 'step', interval, scheduler ?? asyncScheduler)) : run.live).pipe(
        map((entry): WatchedEntry => ({ ...entry, replayed: false })),
      )
    if (scheduler !== undefined) return make()
    let shared = run.thinned.get(interval)
    if (shared === undefined) {
      shared = make().pipe(share())
      run.thinned.set(interval, shared)
    }
    return shared
  }

  const watch = (options: WatchOptions = {}): Observable<WatchedEntry> => {
    const after = parseEventId(options.lastEventId)
    const interval = options.stepInterval ?? 100
    return runs$.pipe(
      switchMap((run) =>
        run === undefined
          ? EMPTY
          : defer(() => {
              // The snapshot and the live subscription are taken in one synchronous step: no event falls between.
              const kept = run.buffer.entries(after !== undefined && after.run === run.id ? after.seq : 0)
              const last = ledger$.value.seq
              // A shared thinned stream may still hold a step the snapshot already has: it is not sent twice.
              const live = liveEntries(run, interval, options.scheduler).pipe(filter((entry) => entry.seq > last))
              return concat(from(kept).pipe(map((entry): WatchedEntry => ({ ...entry, replayed: true }))), live)
            }),
      ),
    )
  }

  const close = (): void => {
    const run = runs$.value
    if (run !== undefined) finish(run, 'stopped', null)
    ledger$.complete()
    runs$.complete()
  }

  return {
    status: () => ledger$.value.status,
    status$,
    start,
    stop,
    watch,
    latestParams: () => ledger$.value.latest,
    close,
  }
}
