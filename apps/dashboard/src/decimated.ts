/**
 * A sequence that keeps an evenly thinned sample of everything added to it,
 * in bounded memory: at most `capacity` items plus the latest one. While it
 * has room it keeps every item; when it overflows it drops every other kept
 * item and from then on keeps only every 2nd, then 4th, ... item added, so
 * the kept items stay evenly spread over the whole history (like a chart
 * that halves its resolution rather than forgetting the start).
 *
 * @category Replay
 */
export interface Decimated<T> {
  /** Offers an item; it is kept if it falls on the current stride. */
  readonly add: (item: T) => void
  /** The kept items in the order they were added, always ending with the latest one added. */
  readonly items: () => readonly T[]
  /** Every how many added items one is kept now: 1, 2, 4, ... */
  readonly stride: () => number
}

/**
 * A {@link Decimated} sequence holding at most `capacity` (at least 2) thinned
 * items plus the latest.
 *
 * @example
 * ```ts
 * const d = decimated<number>(4)
 * for (let i = 0; i < 10; i++) d.add(i)
 * d.items() // [0, 4, 8, 9]: every 4th item, and the latest
 * ```
 * @category Replay
 */
export const decimated = <T>(capacity: number): Decimated<T> => {
  if (!Number.isSafeInteger(capacity) || capacity < 2) throw new RangeError(`decimated: capacity must be an integer >= 2, got ${capacity}`)
  let kept: T[] = []
  let stride = 1
  let added = 0
  let latest: { readonly item: T; readonly kept: boolean } | undefined
  return {
    add: (item) => {
      const keep = added % stride === 0
      added++
      latest = { item, kept: keep }
      if (!keep) return
      kept.push(item)
      if (kept.length > capacity) {
        // Kept items sit at multiples of `stride`; those at even positions are the multiples of `2 * stride`.
        kept = kept.filter((_, i) => i % 2 === 0)
        stride *= 2
        latest = { item, kept: (added - 1) % stride === 0 }
      }
    },
    items: () => (latest === undefined || latest.kept ? kept.slice() : [...kept, latest.item]),
    stride: () => stride,
  }
}
