import type { DoneEvent, EpochEvent, StepEvent, TrainErrorEvent, TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { Observable, Subject, from } from 'rxjs'
import type { StartRun } from '../run-manager.js'
import type { RunSettings } from '../settings.js'

/** Gives an event the trainer's non-enumerable `params`, as real events carry (and JSON leaves out). */
const withEmptyParams = <T extends object>(event: T): T =>
  Object.defineProperty({ ...event }, 'params', { value: {}, enumerable: false }) as T

/** A step event. */
export const stepEvent = (step: number, epoch: number, loss: number): StepEvent => ({ type: 'step', step, epoch, loss })

/** An epoch event with figures that depend on the epoch number, so that every epoch differs. */
export const epochEvent = (epoch: number, steps: number): EpochEvent =>
  withEmptyParams({
    type: 'epoch',
    epoch,
    steps,
    trainLoss: 1 / (epoch + 1),
    testLoss: 1.5 / (epoch + 1),
    testAccuracy: epoch / (epoch + 1),
    samplesPerSecond: 1000 + epoch,
    checkpoint: null,
  } as EpochEvent)

/** A done event. */
export const doneEvent = (epochs: number, steps: number): DoneEvent =>
  withEmptyParams({
    type: 'done',
    epochs,
    steps,
    stoppedEarly: false,
    trainLoss: 1 / (epochs + 1),
    testLoss: 1.5 / (epochs + 1),
    testAccuracy: epochs / (epochs + 1),
    samplesPerSecond: 1000 + epochs,
    checkpoint: null,
  } as DoneEvent)

/** An error event. */
export const errorEvent = (message: string): TrainErrorEvent => ({ type: 'error', message, step: null, epoch: null, checkpoint: null })

/** The events of a whole run of `epochs` epochs with `stepsPerEpoch` steps each, in the trainer's order. */
export const runEvents = (epochs: number, stepsPerEpoch: number): TrainEvent[] => {
  const out: TrainEvent[] = []
  let step = 0
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = 0; i < stepsPerEpoch; i++) {
      step++
      out.push(stepEvent(step, epoch, 2 / step))
    }
    out.push(epochEvent(epoch, step))
  }
  out.push(doneEvent(epochs, step))
  return out
}

/** A `startRun` whose runs emit `events` synchronously when subscribed, recording the settings it was given. */
export const scriptedRuns = (events: readonly TrainEvent[]): StartRun & { readonly calls: RunSettings[] } => {
  const calls: RunSettings[] = []
  const startRun = (settings: RunSettings) => {
    calls.push(settings)
    return E.right(from(events))
  }
  return Object.assign(startRun, { calls })
}

/**
 * A run the test drives by hand: `emit` pushes an event, `end` completes
 * it; `subscriptions` counts subscriptions to it and `unsubscribed` tells
 * whether the run was stopped from outside (as opposed to completing).
 */
export interface ManualRun {
  readonly startRun: StartRun
  readonly emit: (event: TrainEvent) => void
  readonly end: () => void
  readonly subscriptions: () => number
  readonly unsubscribed: () => boolean
  /** The signal the run was started with (aborted when the dashboard stops it). */
  readonly signal: () => AbortSignal | undefined
}

/** A {@link ManualRun}. */
export const manualRun = (): ManualRun => {
  const events = new Subject<TrainEvent>()
  let subscriptions = 0
  let completed = false
  let unsubscribed = false
  let signal: AbortSignal | undefined
  const run$ = new Observable<TrainEvent>((subscriber) => {
    subscriptions++
    const inner = events.subscribe(subscriber)
    return () => {
      if (!completed) unsubscribed = true
      inner.unsubscribe()
    }
  })
  return {
    startRun: (_settings, given) => {
      signal = given
      return E.right(run$)
    },
    emit: (event) => events.next(event),
    end: () => {
      completed = true
      events.complete()
    },
    subscriptions: () => subscriptions,
    unsubscribed: () => unsubscribed,
    signal: () => signal,
  }
}
