import { describe, expect, it } from 'vitest'
import { liveCurve, type Terminal } from './live.js'

const recorder = (isTTY: boolean) => {
  const writes: string[] = []
  const term: Terminal = { write: (text) => writes.push(text), error: () => undefined, isTTY }
  return { term, writes }
}

/** Feeds a run of `total` steps with a falling loss into the live view. */
const feed = (onStep: ReturnType<typeof liveCurve>['onStep'], total: number) => {
  const curve: number[] = []
  for (let step = 1; step <= total; step++) {
    curve.push(1 / step)
    onStep({ step, epoch: step <= total / 2 ? 1 : 2, totalSteps: total, curve })
  }
}

describe('liveCurve', () => {
  it('off a terminal, prints about ten progress lines and no control characters', () => {
    const { term, writes } = recorder(false)
    const live = liveCurve(term)
    feed(live.onStep, 100)
    live.finish()
    expect(writes).toHaveLength(10)
    expect(writes[0]).toMatch(/^step 10\/100 \(epoch 1\)  loss 0\.1000  [▁-█]+\n$/)
    expect(writes[9]).toMatch(/^step 100\/100 \(epoch 2\)  loss 0\.0100  /)
    expect(writes.join('')).not.toContain('\x1b')
  })

  it('prints the last step even when it is not a multiple of the interval', () => {
    const { term, writes } = recorder(false)
    feed(liveCurve(term).onStep, 25)
    expect(writes.at(-1)).toMatch(/^step 25\/25 /)
  })

  it('on a terminal, redraws the chart in place and clears it when finished', () => {
    const { term, writes } = recorder(true)
    const live = liveCurve(term)
    feed(live.onStep, 100)
    expect(writes).toHaveLength(50)
    const first = writes[0]!
    expect(first.startsWith('\x1b')).toBe(false)
    const height = first.split('\n').length - 1
    // Every later frame first moves up over the previous one and clears it.
    for (const frame of writes.slice(1)) expect(frame.startsWith(`\x1b[${height}A\x1b[J`)).toBe(true)
    expect(writes.at(-1)).toContain('step 100/100 (epoch 2)  loss 0.0100')
    live.finish()
    expect(writes.at(-1)).toBe(`\x1b[${height}A\x1b[J`)
  })
})
