import type { TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { type RunEntry } from './replay-buffer.js'
import { runManager } from './run-manager.js'
import { defaultSettings } from './settings.js'
import { doneEvent, epochEvent, errorEvent, manualRun, runEvents, scriptedRuns, stepEvent } from './testing/events.js'
import { throwError } from 'rxjs'

/** Collects what a watcher receives. */
const collect = (entries: RunEntry[]) => ({ next: (e: RunEntry) => entries.push(e) })
const types = (entries: readonly RunEntry[]) => entries.map((e) => e.event.type)

describe('runManager', () => {
  it('runs one run, numbers its events and ends in state done', () => {
    const events = runEvents(2, 3)
    const runs = runManager(scriptedRuns(events))
    const seen: RunEntry[] = []
    runs.watch({ stepInterval: 0 }).subscribe(collect(seen))
    expect(runs.status().state).toBe('idle')
    const started = runs.start(defaultSettings)
    expect(E.isRight(started)).toBe(true)
    expect(seen.map((e) => e.event)).toEqual(events)
    expect(seen.map((e) => `${e.run}-${e.seq}`)).toEqual(events.map((_, i) => `1-${i + 1}`))
    expect(runs.status()).toMatchObject({ state: 'done', run: 1, id: null, settings: defaultSettings, message: null })
    expect(Date.parse(runs.status().startedAt!)).not.toBeNaN()
  })

  it('subscribes to the run once, however many watchers come and go', () => {
    const run = manualRun()
    const runs = runManager(run.startRun)
    const a: RunEntry[] = []
    const b: RunEntry[] = []
    const first = runs.watch().subscribe(collect(a))
    runs.watch().subscribe(collect(b))
    runs.start(defaultSettings)
    run.emit(epochEvent(1, 10))
    first.unsubscribe()
    run.emit(epochEvent(2, 20))
    runs.watch().subscribe()
    expect(run.subscriptions()).toBe(1)
    expect(run.unsubscribed()).toBe(false)
    expect(runs.status().state).toBe('running')
    expect(types(a)).toEqual(['epoch'])
    expect(types(b)).toEqual(['epoch', 'epoch'])
    run.emit(doneEvent(2, 20))
    run.end()
    expect(types(b)).toEqual(['epoch', 'epoch', 'done'])
    expect(runs.status().state).toBe('done')
  })

  it('refuses a second start while a run is going', () => {
    const run = manualRun()
    let starts = 0
    const runs = runManager((settings, signal) => {
      starts++
      return run.startRun(settings, signal)
    })
    expect(E.isRight(runs.start(defaultSettings))).toBe(true)
    const again = runs.start({ ...defaultSettings, epochs: 2 })
    expect(again).toEqual(E.left({ _tag: 'Busy', message: 'run 1 is still going: stop it before starting another' }))
    expect(starts).toBe(1)
    expect(runs.status().settings).toEqual(defaultSettings)
  })

  it('passes on the starter refusing the settings, and stays idle', () => {
    const runs = runManager(() => E.left('--layers: iris has 4 features, not 5'))
    expect(runs.start(defaultSettings)).toEqual(E.left({ _tag: 'Invalid', message: '--layers: iris has 4 features, not 5' }))
    expect(runs.status()).toEqual({ state: 'idle', run: 0, id: null, settings: null, startedAt: null, message: null })
  })

  it('stops a run by aborting its signal and unsubscribing from it, and says so when none is going', () => {
    const run = manualRun()
    const runs = runManager(run.startRun)
    const seen: RunEntry[] = []
    let completed = false
    expect(runs.stop()).toEqual(E.left('no run is going'))
    runs.start(defaultSettings)
    runs.watch().subscribe({ ...collect(seen), complete: () => (completed = true) })
    run.emit(epochEvent(1, 5))
    const stopped = runs.stop()
    expect(E.isRight(stopped) && stopped.right.state).toBe('stopped')
    expect(run.signal()?.aborted).toBe(true)
    expect(run.unsubscribed()).toBe(true)
    // Whatever the trainer might still send is not recorded.
    run.emit(epochEvent(2, 10))
    expect(types(seen)).toEqual(['epoch'])
    expect(completed).toBe(false)
    expect(runs.stop()).toEqual(E.left('no run is going'))
  })

  it('counts a run that completes without a done or error event (its signal aborted by the trainer\'s caller) as stopped', () => {
    const run = manualRun()
    const runs = runManager(run.startRun)
    runs.start(defaultSettings)
    expect(run.signal()?.aborted).toBe(false)
    run.emit(epochEvent(1, 5))
    run.end()
    expect(runs.status().state).toBe('stopped')
  })

  it('keeps the latest parameters an event carried, per run, and serves them and the status as frozen values', () => {
    const run = manualRun()
    const runs = runManager(run.startRun)
    runs.start(defaultSettings)
    expect(runs.latestParams()).toBeUndefined()
    const W = { shape: [2], dtype: 'f64' as const, data: new Float64Array([0.5, -1]) }
    const epoch = Object.defineProperty({ ...epochEvent(1, 4) }, 'params', { value: { W }, enumerable: false })
    run.emit(epoch)
    const latest = runs.latestParams()
    expect(latest).toEqual({ run: 1, settings: defaultSettings, epoch: 1, params: { W } })
    run.emit(stepEvent(5, 2, 0.5))
    expect(runs.latestParams()).toBe(latest) // a step carries none: the ledger keeps what it had
    expect(Object.isFrozen(latest)).toBe(true)
    expect(Object.isFrozen(latest!.params)).toBe(true)
    expect(Object.isFrozen(runs.status())).toBe(true)
    run.emit(doneEvent(2, 8))
    run.end()
    expect(runs.latestParams()).toMatchObject({ run: 1, epoch: 2 })
    expect(runs.status()).toMatchObject({ state: 'done', run: 1 })
    expect(Object.isFrozen(runs.status())).toBe(true)
    runs.start(defaultSettings)
    expect(runs.latestParams()).toBeUndefined()
  })

  it('gives a late watcher the events so far, then the live ones', () => {
    const run = manualRun()
    const runs = runManager(run.startRun)
    runs.start(defaultSettings)
    run.emit(stepEvent(1, 1, 0.9))
    run.emit(epochEvent(1, 1))
    const late: RunEntry[] = []
    runs.watch({ stepInterval: 0 }).subscribe(collect(late))
    expect(types(late)).toEqual(['step', 'epoch'])
    run.emit(stepEvent(2, 2, 0.8))
    run.emit(epochEvent(2, 2))
    run.emit(doneEvent(2, 2))
    run.end()
    expect(late.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('resumes after the last event id a reconnecting client had, within the same run only', () => {
    const runs = runManager(scriptedRuns(runEvents(2, 1)))
    runs.start(defaultSettings)
    const resumed: RunEntry[] = []
    runs.watch({ lastEventId: '1-3' }).subscribe(collect(resumed))
    expect(resumed.map((e) => e.seq)).toEqual([4, 5])
    const otherRun: RunEntry[] = []
    runs.watch({ lastEventId: '7-3' }).subscribe(collect(otherRun))
    expect(otherRun.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('thins live step events for watchers but never the epoch events', () => {
    const run = manualRun()
    const runs = runManager(run.startRun)
    runs.start(defaultSettings)
    const thinned: RunEntry[] = []
    const all: RunEntry[] = []
    const a = runs.watch({ stepInterval: 60_000 }).subscribe(collect(thinned))
    const b = runs.watch({ stepInterval: 0 }).subscribe(collect(all))
    for (let step = 1; step <= 10; step++) run.emit(stepEvent(step, 1, 1 / step))
    run.emit(epochEvent(1, 10))
    // The first step at once, the latest one before the epoch event that follows it.
    expect(thinned.map((e) => (e.event.type === 'step' ? e.event.step : e.event.type))).toEqual([1, 10, 'epoch'])
    expect(all).toHaveLength(11)
    a.unsubscribe()
    b.unsubscribe()
    runs.stop()
  })

  it('moves watchers on to the next run', () => {
    const runs = runManager(scriptedRuns(runEvents(1, 1)))
    const seen: RunEntry[] = []
    runs.watch().subscribe(collect(seen))
    runs.start(defaultSettings)
    runs.start(defaultSettings)
    expect(seen.map((e) => `${e.run}-${e.seq}`)).toEqual(['1-1', '1-2', '1-3', '2-1', '2-2', '2-3'])
    expect(runs.status().run).toBe(2)
  })

  it('ends in state failed on an error event, with its message', () => {
    const events: TrainEvent[] = [epochEvent(1, 1), errorEvent('loss is NaN at step 2')]
    const runs = runManager(scriptedRuns(events))
    runs.start(defaultSettings)
    expect(runs.status()).toMatchObject({ state: 'failed', message: 'loss is NaN at step 2' })
  })

  it('reports an Observable that errors as an error event', () => {
    const runs = runManager(() => E.right(throwError(() => new Error('boom'))))
    const seen: RunEntry[] = []
    runs.watch().subscribe(collect(seen))
    runs.start(defaultSettings)
    expect(seen.map((e) => e.event)).toEqual([errorEvent('internal error: boom')])
    expect(runs.status()).toMatchObject({ state: 'failed', message: 'internal error: boom' })
  })

  it('stops the run and completes every stream on close', () => {
    const run = manualRun()
    const runs = runManager(run.startRun)
    let watchDone = false
    let statusDone = false
    runs.watch().subscribe({ complete: () => (watchDone = true) })
    runs.status$.subscribe({ complete: () => (statusDone = true) })
    runs.start(defaultSettings)
    runs.close()
    expect(run.unsubscribed()).toBe(true)
    expect(watchDone).toBe(true)
    expect(statusDone).toBe(true)
  })
})
