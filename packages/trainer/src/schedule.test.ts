import { describe, expect, it } from 'vitest'
import { constant, cosine, rateAt, stepDecay } from './schedule.js'

describe('learning-rate schedules', () => {
  it('constant', () => {
    expect(constant(0.3)(1, 1)).toBe(0.3)
    expect(constant(0.3)(1000, 40)).toBe(0.3)
  })

  it('step decay multiplies by the factor after every `every` epochs', () => {
    const s = stepDecay({ lr: 0.1, factor: 0.5, every: 10 })
    expect(s(1, 1)).toBe(0.1)
    expect(s(500, 10)).toBe(0.1)
    expect(s(501, 11)).toBe(0.05)
    expect(s(999, 21)).toBe(0.025)
  })

  it('cosine anneals from lr at step 1 to min at the last step, then stays there', () => {
    const s = cosine({ lr: 0.1, steps: 101, min: 0.02 })
    expect(s(1, 1)).toBeCloseTo(0.1, 15)
    expect(s(51, 1)).toBeCloseTo(0.06, 15) // halfway: the mean of 0.1 and 0.02
    expect(s(101, 9)).toBeCloseTo(0.02, 15)
    expect(s(5000, 9)).toBeCloseTo(0.02, 15)
    expect(cosine({ lr: 1, steps: 3 })(2, 1)).toBeCloseTo(0.5, 15)
  })

  it('rateAt reads numbers and schedules alike', () => {
    expect(rateAt(0.2, 7, 3)).toBe(0.2)
    expect(rateAt((step, epoch) => step * 10 + epoch, 7, 3)).toBe(73)
  })
})
