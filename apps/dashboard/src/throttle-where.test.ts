import { TestScheduler } from 'rxjs/testing'
import { throttleWhere } from './throttle-where.js'

/** Lower-case letters stand for step events (throttled), upper-case ones for epoch events (never held back). */
const isStep = (v: string): boolean => v === v.toLowerCase()

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

describe('throttleWhere', () => {
  it('lets the first matching value through and the last of each window after it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab-c------d|')
      expectObservable(source.pipe(throttleWhere(isStep, 4))).toBe('a---c-----d|')
    })
  })

  it('passes other values at once, flushing a held-back value first so that nothing is reordered', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abE-c-F------|')
      expectObservable(source.pipe(throttleWhere(isStep, 10))).toBe('a-(bE)(cF)---|')
    })
  })

  it('never drops or delays a value that does not match', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('ABCD|')
      expectObservable(source.pipe(throttleWhere(isStep, 10))).toBe('ABCD|')
    })
  })

  it('flushes a held-back value on completion and on error', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(throttleWhere(isStep, 10))).toBe('a-(b|)')
      expectObservable(cold('ab#').pipe(throttleWhere(isStep, 10))).toBe('a-(b#)')
    })
  })

  it('emits nothing after unsubscription and unsubscribes from its source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('ab------c|')
      expectObservable(source.pipe(throttleWhere(isStep, 4)), '^--!').toBe('a---')
      expectSubscriptions(source.subscriptions).toBe('^--!')
    })
  })
})
