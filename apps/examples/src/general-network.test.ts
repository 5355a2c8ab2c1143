import { readFileSync } from 'node:fs'
import { validateFeedForward } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { type GeneralNetworkResult, generalNetwork, skipNetFile } from './general-network.js'
import { reportGeneralNetwork } from './report.js'

describe('a general feed-forward network with skip connections, from its spec file', () => {
  let r: GeneralNetworkResult
  beforeAll(async () => {
    const result = await generalNetwork()
    if (E.isLeft(result)) throw new Error(result.left.message)
    r = result.right
  })

  it('reads a spec file the cli takes, weights left out, with connections that skip over units', () => {
    const raw = JSON.parse(readFileSync(skipNetFile, 'utf8')) as { units: { in: unknown[] }[] }
    expect(E.isRight(validateFeedForward(raw))).toBe(true)
    expect(raw.units.every((u) => u.in.every((e) => typeof e === 'number'))).toBe(true)
    // the outputs (units 11-13) read inputs 3 and 4 directly
    expect(raw.units[6]!.in).toContain(3)
    expect(r.groups).toEqual([[5, 6, 7, 8], [9, 10], [11, 12, 13]])
  })

  it('learns iris and its symbolic deltas are the general delta rule\'s', () => {
    expect(r.trainLoss.at(-1)!).toBeLessThan(r.trainLoss[0]! / 3)
    expect(r.testAccuracy).toBeGreaterThan(0.9)
    expect(r.deltaDifference).toBeLessThan(1e-12)
    expect(reportGeneralNetwork(r).join('\n')).toContain('backprop train --net')
  })
})
