import { describe, expect, it } from 'vitest'
import { jsonLine, withParams } from './events.js'
import type { EpochEvent } from './events.js'

describe('jsonLine', () => {
  it('writes NaN and the infinities as strings, everything else as JSON.stringify does', () => {
    const value = { a: NaN, b: Infinity, c: -Infinity, d: -0, e: 1.5, f: [NaN, 2], g: null, h: 'NaN' }
    const line = jsonLine(value)
    expect(line).not.toContain('\n')
    expect(JSON.parse(line)).toEqual({ a: 'NaN', b: 'Infinity', c: '-Infinity', d: 0, e: 1.5, f: ['NaN', 2], g: null, h: 'NaN' })
  })

  it('leaves out the parameters an event carries', () => {
    const event = withParams<EpochEvent>(
      { type: 'epoch', epoch: 1, steps: 3, trainLoss: 0.5, testLoss: Infinity, testAccuracy: null, samplesPerSecond: 10, checkpoint: null },
      { W: { shape: [1], dtype: 'f64', data: Float64Array.of(2) } },
    )
    expect(JSON.parse(jsonLine(event))).toEqual({
      type: 'epoch',
      epoch: 1,
      steps: 3,
      trainLoss: 0.5,
      testLoss: 'Infinity',
      testAccuracy: null,
      samplesPerSecond: 10,
      checkpoint: null,
    })
  })
})
