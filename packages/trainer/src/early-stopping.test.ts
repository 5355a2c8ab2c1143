import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { earlyStopping, plateau } from './early-stopping.js'
import { type DoneEvent, type EpochEvent, eventParams, type StepEvent, type TrainEvent, withParams } from './events.js'
import type { Params } from './params.js'

const paramsAt = (epoch: number): Params => ({ w: { shape: [1], dtype: 'f64', data: Float64Array.of(epoch) } })

const epochEvent = (epoch: number, testLoss: number | null, trainLoss = 1): EpochEvent =>
  withParams<EpochEvent>(
    { type: 'epoch', epoch, trainLoss, testLoss, testAccuracy: null, samplesPerSecond: 100, steps: epoch * 2, checkpoint: epoch >= 2 ? 'ck.json' : null },
    paramsAt(epoch),
  )
const stepEvent = (step: number, epoch: number): StepEvent => ({ type: 'step', step, epoch, loss: 1 })

const figures = (testLoss: number | null, trainLoss = 1) => ({ trainLoss, testLoss, testAccuracy: null, samplesPerSecond: 1 })

describe('plateau', () => {
  it('stops after `patience` epochs without improvement', () => {
    const stop = plateau({ patience: 2 })
    expect([3, 2, 2.5, 2.1, 1.9, 2, 2].map((l) => stop(figures(l)))).toEqual([false, false, false, true, false, false, true])
  })

  it('counts an improvement only when larger than minDelta', () => {
    const stop = plateau({ patience: 1, minDelta: 0.1 })
    expect(stop(figures(1))).toBe(false)
    expect(stop(figures(0.95))).toBe(true)
  })

  it('watches the train loss when asked, or when there is no test loss', () => {
    const onTrain = plateau({ patience: 1, monitor: 'trainLoss' })
    expect(onTrain(figures(5, 1))).toBe(false)
    expect(onTrain(figures(0, 2))).toBe(true)
    const fallback = plateau({ patience: 1 })
    expect(fallback(figures(null, 1))).toBe(false)
    expect(fallback(figures(null, 0.5))).toBe(false)
    expect(fallback(figures(null, 0.7))).toBe(true)
  })
})

describe('earlyStopping operator', () => {
  const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

  it('passes events through, then ends with done after the epoch that exhausts the patience, unsubscribing the run', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const values: Record<string, TrainEvent> = {
        s: stepEvent(1, 1),
        a: epochEvent(1, 1.0),
        b: epochEvent(2, 1.2),
        c: epochEvent(3, 1.1),
        d: epochEvent(4, 0.1),
      }
      const run = cold('s-a-s-b-s-c-s-d-|', values)
      const done = {
        type: 'done',
        epochs: 3,
        steps: 6,
        trainLoss: 1,
        testLoss: 1.1,
        testAccuracy: null,
        samplesPerSecond: 100,
        stoppedEarly: true,
        checkpoint: 'ck.json',
      }
      expectObservable(run.pipe(earlyStopping({ patience: 2 }))).toBe('s-a-s-b-s-(cD|)', { ...values, D: done })
      expectSubscriptions(run.subscriptions).toBe('^---------!')
    })
  })

  it('the done event it makes carries the stopping epoch\'s parameters and stays out of JSON', () => {
    const seen: TrainEvent[] = []
    const s = scheduler()
    s.run(({ cold, flush }) => {
      cold('a-b|', { a: epochEvent(1, 1), b: epochEvent(2, 2) })
        .pipe(earlyStopping({ patience: 1 }))
        .subscribe((e) => seen.push(e))
      flush()
    })
    const done = seen[seen.length - 1]!
    expect(done.type).toBe('done')
    expect(eventParams(done)).toEqual(paramsAt(2))
    expect(JSON.parse(JSON.stringify(done))).not.toHaveProperty('params')
  })

  it('passes a run that keeps improving untouched, including its own done and completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const values: Record<string, TrainEvent> = {
        a: epochEvent(1, 3),
        b: epochEvent(2, 2),
        z: withParams<DoneEvent>({ type: 'done', epochs: 2, steps: 4, trainLoss: 1, testLoss: 2, testAccuracy: null, samplesPerSecond: 1, stoppedEarly: false, checkpoint: null }, paramsAt(2)),
      }
      expectObservable(cold('a-b-z|', values).pipe(earlyStopping({ patience: 1 }))).toBe('a-b-(z|)', values)
    })
  })

  it('passes error events through and keeps a fresh plateau per subscription', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error: TrainEvent = { type: 'error', message: 'boom', step: 3, epoch: 2, checkpoint: null }
      const values: Record<string, TrainEvent> = { a: epochEvent(1, 1), e: error }
      const stream = cold('a-e|', values).pipe(earlyStopping({ patience: 1 }))
      expectObservable(stream).toBe('a-e|', values)
      expectObservable(stream).toBe('a-e|', values)
    })
  })
})
