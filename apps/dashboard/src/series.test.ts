import { describe, expect, it } from 'vitest'

/** The page's own module (plain JavaScript served to the browser), loaded as the browser loads it. */
interface SeriesModule {
  emptySeries(run: number): {
    figures: Record<string, number | string | null>
    epochX: number[]
    trainLoss: (number | null)[]
    testLoss: (number | null)[]
    testAccuracy: (number | null)[]
    stepLoss: number[]
  }
  addEvent(series: ReturnType<SeriesModule['emptySeries']>, event: unknown): void
  num(value: unknown): number | null
}
const load = async (): Promise<SeriesModule> =>
  (await import(/* @vite-ignore */ new URL('../public/js/series.js', import.meta.url).href)) as SeriesModule

describe('the page series', () => {
  it('reads the figures JSON has no number for from their strings, and absent ones as null', async () => {
    const { num } = await load()
    expect(num(1.5)).toBe(1.5)
    expect(num('Infinity')).toBe(Infinity)
    expect(num('-Infinity')).toBe(-Infinity)
    expect(num('NaN')).toBeNaN()
    expect(num(null)).toBeNull()
    expect(num(undefined)).toBeNull()
    expect(num('1.5')).toBeNull()
  })

  it('shows a diverged test loss as a figure but leaves a gap in the chart', async () => {
    const { emptySeries, addEvent } = await load()
    const series = emptySeries(1)
    addEvent(series, { type: 'epoch', epoch: 1, steps: 10, trainLoss: 0.5, testLoss: 0.7, testAccuracy: 0.8, samplesPerSecond: 100 })
    addEvent(series, { type: 'epoch', epoch: 2, steps: 20, trainLoss: 0.4, testLoss: 'Infinity', testAccuracy: 'NaN', samplesPerSecond: 100 })
    expect(series.figures['testLoss']).toBe(Infinity)
    expect(series.figures['testAccuracy']).toBeNaN()
    expect(series.epochX).toEqual([1, 2])
    expect(series.testLoss).toEqual([0.7, null])
    expect(series.testAccuracy).toEqual([0.8, null])
    expect(series.trainLoss).toEqual([0.5, 0.4])
    addEvent(series, { type: 'step', step: 21, epoch: 3, loss: 'NaN' })
    expect(series.figures['loss']).toBeNaN()
    expect(series.stepLoss).toEqual([NaN])
  })
})
