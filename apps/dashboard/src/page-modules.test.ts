import { describe, expect, it } from 'vitest'

/** The page's own modules (plain JavaScript served to the browser), loaded as the browser loads them. */
const load = async <T>(name: string): Promise<T> =>
  (await import(/* @vite-ignore */ new URL(`../public/js/${name}`, import.meta.url).href)) as T

interface Format {
  compact(x: number): string
  smooth(ys: (number | null)[], weight: number): (number | null)[]
  duration(s: number): string
}
interface Compare {
  differingSettings(runs: { settings: Record<string, unknown> | null }[]): string[]
  runLabels(runs: { id: string; settings: Record<string, unknown> | null }[]): Map<string, string>
}
type Summary = { id: string; state: string; settings: Record<string, unknown> | null; epochs: number; last: Record<string, unknown> | null }
interface Runs {
  sortRuns(runs: Summary[], key: string, ascending: boolean): Summary[]
}
interface Series {
  seriesFromLines(run: number, text: string): {
    epochX: number[]
    confusion: number[][] | null
    layers: Map<string, { epochX: number[]; deltaRms: (number | null)[]; gradNorm: (number | null)[] }>
    events: unknown[]
  }
  epochsCsv(series: ReturnType<Series['seriesFromLines']>): string
}

describe('compact numbers', () => {
  it('fit an axis label whatever their size', async () => {
    const { compact } = await load<Format>('format.js')
    expect([3_000_000, 12_345, 0.5, 0.12345, 0.0001234, -2.5e7, 0].map(compact)).toEqual(['3.0e6', '12350', '0.5', '0.1235', '1.2e-4', '-2.5e7', '0'])
    for (const x of [1e300, -1e-300, 123456789, 98765.4321]) expect(compact(x).length).toBeLessThanOrEqual(9)
  })

  it('spell durations in hours, minutes and seconds', async () => {
    const { duration } = await load<Format>('format.js')
    expect([42, 185, 3725, NaN].map(duration)).toEqual(['42s', '3m05s', '1h02m', '–'])
  })
})

describe('smoothing', () => {
  it('leaves a curve alone at weight 0 and averages it, debiased, above', async () => {
    const { smooth } = await load<Format>('format.js')
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3])
    const [a, b, gap, c] = smooth([1, 3, null, 3], 0.5)
    expect(a).toBeCloseTo(1, 14)
    // (0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25)
    expect(b).toBeCloseTo((0.25 + 1.5) / 0.75, 14)
    expect(gap).toBeNull()
    expect(c).toBeCloseTo((0.125 + 0.75 + 1.5) / 0.875, 14)
  })
})

describe('comparing runs', () => {
  const runs = [
    { id: 'a', settings: { dataset: 'iris', lr: 0.01, layers: [4, 8, 3], seed: 1 } },
    { id: 'b', settings: { dataset: 'iris', lr: 0.1, layers: [4, 16, 3], seed: 1 } },
    { id: 'c', settings: null },
  ]

  it('labels each run by the settings in which they differ', async () => {
    const { differingSettings, runLabels } = await load<Compare>('compare.js')
    expect(differingSettings(runs.slice(0, 2))).toEqual(['lr', 'layers'])
    expect(runLabels(runs.slice(0, 2))).toEqual(new Map([['a', 'lr 0.01, layers 4,8,3'], ['b', 'lr 0.1, layers 4,16,3']]))
    expect(runLabels(runs).get('c')).toBe('c')
    expect(runLabels([runs[0]!]).get('a')).toBe('a')
  })

  it('sorts the runs table by a setting or a final figure, either way', async () => {
    const { sortRuns } = await load<Runs>('runs.js')
    const table: Summary[] = [
      { id: 'r1', state: 'done', settings: { lr: 0.1 }, epochs: 5, last: { testAccuracy: 0.9 } },
      { id: 'r2', state: 'done', settings: { lr: 0.01 }, epochs: 5, last: { testAccuracy: 'NaN' } },
      { id: 'r3', state: 'damaged', settings: null, epochs: 0, last: null },
      { id: 'r4', state: 'done', settings: { lr: 0.05 }, epochs: 5, last: { testAccuracy: 0.95 } },
    ]
    expect(sortRuns(table, 'lr', true).map((r) => r.id)).toEqual(['r3', 'r2', 'r4', 'r1'])
    expect(sortRuns(table, 'testAccuracy', false).map((r) => r.id).slice(0, 2)).toEqual(['r4', 'r1'])
    expect(sortRuns(table, 'id', false).map((r) => r.id)).toEqual(['r4', 'r3', 'r2', 'r1'])
  })
})

describe('a kept run on the page', () => {
  const lines = [
    '{"type":"epoch","epoch":1,"steps":5,"trainLoss":0.9,"testLoss":1,"testAccuracy":0.5,"samplesPerSecond":100,"checkpoint":null,"confusion":[[1,1],[0,2]],"layers":[{"layer":1,"deltaRms":0.1,"gradNorm":2,"weightNorm":3},{"layer":2,"deltaRms":0.2,"gradNorm":1,"weightNorm":1}]}',
    '{"type":"epoch","epoch":2,"steps":10,"trainLoss":0.5,"testLoss":null,"testAccuracy":0.75,"samplesPerSecond":110,"checkpoint":null,"confusion":[[2,0],[1,1]],"layers":[{"layer":1,"deltaRms":0.05,"gradNorm":1,"weightNorm":3},{"layer":2,"deltaRms":0.1,"gradNorm":0.5,"weightNorm":1}]}',
    '{"type":"done","epochs":2,"steps":10,"stoppedEarly":false,"trainLoss":0.5,"testLoss":null,"testAccuracy":0.75,"samplesPerSecond":110,"checkpoint":null}',
  ]

  it('reads its events.jsonl into curves, the latest confusion matrix and per-layer series', async () => {
    const { seriesFromLines } = await load<Series>('series.js')
    const series = seriesFromLines(0, `${lines.join('\n')}\n`)
    expect(series.epochX).toEqual([1, 2])
    expect(series.confusion).toEqual([
      [2, 0],
      [1, 1],
    ])
    expect([...series.layers.keys()]).toEqual(['1', '2'])
    expect(series.layers.get('2')).toEqual({ epochX: [1, 2], deltaRms: [0.2, 0.1], gradNorm: [1, 0.5] })
    expect(series.events).toHaveLength(3)
  })

  it('downloads as CSV, one row per epoch, an absent figure left blank', async () => {
    const { seriesFromLines, epochsCsv } = await load<Series>('series.js')
    expect(epochsCsv(seriesFromLines(0, lines.join('\n')))).toBe(
      'epoch,steps,trainLoss,testLoss,testAccuracy,samplesPerSecond\n1,5,0.9,1,0.5,100\n2,10,0.5,,0.75,110\n',
    )
  })
})
