// How long loading the MNIST digits takes: the first load in a process reads
// and parses the `mnist` package's files; later loads copy rows of the cache.
import { loadMnist } from '@backprop/data'
import * as E from 'fp-ts/lib/Either.js'
import { timeOnce } from './timing.js'

const load = (seed: number): void => {
  const split = loadMnist({ seed })
  if (E.isLeft(split)) throw new Error(split.left.message)
  if (split.right.train.size + split.right.test.size !== 10_000) throw new Error('loadMnist did not give 10,000 digits')
}

/**
 * Milliseconds of the first `loadMnist` call of the process (once: the cache
 * cannot be emptied) and the median of `reps` later ones. Run it before anything
 * else in the process loads the digits, or `first` is a cached load too.
 */
export const mnistLoadTimes = (reps: number): { readonly first: number; readonly cached: number } => {
  const first = timeOnce(() => load(1), 1)
  return { first, cached: timeOnce(() => load(2), reps) }
}
