import { describe, expect, it } from 'vitest'
import { idealSplitJob } from './ideal-split.js'
import { initialParams, referenceStep } from './mnist.js'

describe('the ideal split', () => {
  it('takes a real step of half the batch in each thread, every run', async () => {
    const batch = 16
    const reference = referenceStep(batch / 2)
    const first = reference(initialParams('f64'), 0)
    const second = reference(first.params, 1)
    const pair = await idealSplitJob(batch, 'f64')
    try {
      const runs = [(await pair.run()) as number[], (await pair.run()) as number[]]
      // Both threads step the same network on the same half batches: the worker's loss is this thread's, and the reference interpreter's.
      for (const [k, expected] of [first.loss, second.loss].entries()) {
        const [mine, theirs] = runs[k]!
        expect(theirs, `step ${k}`).toBe(mine)
        expect(Math.abs(mine! - expected), `step ${k}`).toBeLessThan(1e-12)
      }
      expect(runs[1]![0]).not.toBe(runs[0]![0])
    } finally {
      await pair.dispose()
    }
  })

  it('refuses an odd batch', async () => {
    await expect(idealSplitJob(15, 'f64')).rejects.toThrow('even batch')
  })
})
