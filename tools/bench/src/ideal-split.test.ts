import { describe, expect, it } from 'vitest'
import { idealSplitJob, type PairStep } from './ideal-split.js'
import { initialParams, referenceStep } from './mnist.js'

describe('the ideal split', () => {
  it('takes a real step of half the batch in each thread, every run', async () => {
    const batch = 16
    const reference = referenceStep(batch / 2)
    const first = reference(initialParams('f64'), 0)
    const second = reference(first.params, 1)
    const pair = await idealSplitJob(batch, 'f64')
    try {
      const runs: PairStep[] = []
      const walls: number[] = []
      for (let k = 0; k < 2; k++) {
        const started = performance.now()
        runs.push((await pair.run()) as PairStep)
        walls.push(performance.now() - started)
      }
      // Both threads step the same network on the same half batches: the worker's loss is this thread's, and the reference interpreter's.
      for (const [k, expected] of [first.loss, second.loss].entries()) {
        const [mine, theirs] = runs[k]!.losses
        expect(theirs, `step ${k}`).toBe(mine)
        expect(Math.abs(mine - expected), `step ${k}`).toBeLessThan(1e-12)
        // Each thread's step time is its own, within the run's.
        for (const ms of runs[k]!.ms) {
          expect(ms, `step ${k}`).toBeGreaterThan(0)
          expect(ms, `step ${k}`).toBeLessThanOrEqual(walls[k]!)
        }
      }
      expect(runs[1]!.losses[0]).not.toBe(runs[0]!.losses[0])
    } finally {
      await pair.dispose()
    }
  })

  it('refuses an odd batch', async () => {
    await expect(idealSplitJob(15, 'f64')).rejects.toThrow('even batch')
  })
})
