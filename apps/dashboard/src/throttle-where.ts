import { type MonoTypeOperatorFunction, Observable, type SchedulerLike, type Subscription, asyncScheduler } from 'rxjs'

/**
 * Throttles only the values that match `isThrottled`, keeping the order of
 * everything else: a matching value passes at once when no window is open
 * and opens one of `duration` ms; matching values inside a window replace
 * each other, and the last one is emitted when the window ends (opening the
 * next one). A value that does not match passes at once, but first flushes a
 * pending matching value, so that (for training events) every step event
 * still comes before the epoch event that follows it. Completion flushes too.
 *
 * Unlike RxJS's `throttleTime` on a filtered branch, no value is ever
 * reordered, and unlike sampling, values that do not match are never
 * dropped or delayed.
 *
 * @example
 * ```ts
 * // At most ~10 step events a second, every epoch and done event as it comes.
 * events$.pipe(throttleWhere((e) => e.type === 'step', 100))
 * ```
 * @category Streaming
 */
export const throttleWhere =
  <T>(isThrottled: (value: T) => boolean, duration: number, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> =>
  (source) =>
    new Observable<T>((subscriber) => {
      let pending: { readonly value: T } | undefined
      let window: Subscription | undefined
      const flush = (): void => {
        if (pending === undefined) return
        const { value } = pending
        pending = undefined
        subscriber.next(value)
      }
      const openWindow = (): void => {
        window = scheduler.schedule(() => {
          window = undefined
          if (pending !== undefined) {
            flush()
            openWindow()
          }
        }, duration)
      }
      const upstream = source.subscribe({
        next: (value) => {
          if (!isThrottled(value)) {
            flush()
            subscriber.next(value)
          } else if (window !== undefined) {
            pending = { value }
          } else {
            subscriber.next(value)
            openWindow()
          }
        },
        error: (error: unknown) => {
          flush()
          subscriber.error(error)
        },
        complete: () => {
          flush()
          subscriber.complete()
        },
      })
      return () => {
        upstream.unsubscribe()
        window?.unsubscribe()
      }
    })
