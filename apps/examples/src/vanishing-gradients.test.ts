import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { reportVanishingGradients } from './report.js'
import { type VanishingGradientsResult, vanishingGradients } from './vanishing-gradients.js'

describe('vanishing gradients: a deep logsig network against a relu one', () => {
  let r: VanishingGradientsResult
  beforeAll(async () => {
    const result = await vanishingGradients()
    if (E.isLeft(result)) throw new Error(result.left.message)
    r = result.right
  })

  it('reports every layer of both runs in every epoch', () => {
    expect(r.sizes).toEqual([4, 16, 16, 16, 16, 16, 16, 3])
    for (const run of [r.logsig, r.relu]) {
      expect(run.epochs).toHaveLength(3)
      for (const layers of run.epochs) expect(layers.map((l) => l.layer)).toEqual([1, 2, 3, 4, 5, 6, 7])
    }
  })

  it('shrinks the logsig deltas layer by layer towards the inputs, and not the relu ones', () => {
    const logsig = r.logsig.epochs[0]!.map((l) => l.deltaRms)
    // every logsig hidden layer passes down less than half of its delta (logsig' <= 1/4)
    for (let l = 0; l < 5; l++) expect(logsig[l]!).toBeLessThan(0.5 * logsig[l + 1]!)
    expect(r.logsig.reach).toBeLessThan(1e-2)
    expect(r.relu.reach).toBeGreaterThan(0.3)
    // and the relu network learns while the logsig one barely moves
    expect(r.relu.trainLoss.at(-1)!).toBeLessThan(0.8 * r.relu.trainLoss[0]!)
    expect(r.logsig.trainLoss.at(-1)!).toBeGreaterThan(0.8 * r.logsig.trainLoss[0]!)
    expect(reportVanishingGradients(r)).toHaveLength(3 + 7 + 2)
  })
})
