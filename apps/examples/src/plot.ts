// Text plots of loss curves, written for this package: a one-line sparkline
// and a small line chart with a labelled y-axis, both pure functions from
// numbers to strings so that they can be tested and printed anywhere.

/** The eight block heights of a sparkline, lowest first. */
const BARS = '▁▂▃▄▅▆▇█'

/**
 * `values` averaged down to at most `width` buckets of consecutive values
 * (bucket c holds indices `floor(c n / w)` up to `floor((c + 1) n / w)`), so a
 * long noisy curve keeps its shape; with `width >= values.length` the values
 * themselves.
 *
 * @category Plots
 */
export const resample = (values: readonly number[], width: number): number[] => {
  const n = values.length
  const w = Math.max(1, Math.floor(width))
  if (n <= w) return [...values]
  const out: number[] = []
  for (let c = 0; c < w; c++) {
    const from = Math.floor((c * n) / w)
    const to = Math.floor(((c + 1) * n) / w)
    let sum = 0
    for (let i = from; i < to; i++) sum += values[i]!
    out.push(sum / (to - from))
  }
  return out
}

/**
 * A one-line plot of `values` in block characters `▁▂▃▄▅▆▇█`, the lowest
 * value as `▁` and the highest as `█` (all `▄` when every value is equal),
 * averaged down to at most `width` characters.
 *
 * @example
 * ```ts
 * sparkline([4, 2, 1, 0.5, 0.25]) // '█▄▂▁▁'
 * ```
 * @category Plots
 */
export const sparkline = (values: readonly number[], width = 60): string => {
  const points = resample(values, width)
  if (points.length === 0) return ''
  const lo = Math.min(...points)
  const hi = Math.max(...points)
  if (!(hi > lo)) return BARS[3]!.repeat(points.length)
  return points.map((v) => BARS[Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]!).join('')
}

/**
 * Options of {@link lineChart}.
 *
 * @category Plots
 */
export interface ChartOptions {
  /** Plot columns (default 60); longer curves are averaged down to this width. */
  readonly width?: number
  /** Plot rows (default 10, at least 2). */
  readonly height?: number
  /**
   * A logarithmic y-axis, for losses that fall over several decades;
   * values at or below 0 are drawn at the smallest positive value.
   */
  readonly log?: boolean
  /** What the x-axis counts, printed under it (default `step`). */
  readonly xLabel?: string
}

/**
 * A number in at most about 4 significant digits, switching to exponent
 * notation for very small or very large magnitudes.
 *
 * @category Plots
 */
export const formatNumber = (v: number): string => {
  if (!Number.isFinite(v)) return String(v)
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2)
  return String(Number(v.toPrecision(4)))
}

/**
 * A line chart of a curve, as lines of text: a y-axis labelled at the top,
 * middle and bottom rows, one `*` per column at its value's row, `|` joining
 * consecutive points, and an x-axis from 1 to `values.length`.
 *
 * @example
 * ```ts
 * console.log(lineChart(losses, { log: true, xLabel: 'epoch' }).join('\n'))
 * ```
 * @category Plots
 */
export const lineChart = (values: readonly number[], options: ChartOptions = {}): string[] => {
  const height = Math.max(2, Math.floor(options.height ?? 10))
  const points = resample(values, options.width ?? 60)
  if (points.length === 0) return ['(no values)']
  const log = options.log ?? false
  const smallest = Math.min(...points.filter((v) => v > 0))
  const scale = (v: number): number => (log ? Math.log10(v > 0 ? v : smallest) : v)
  const unscale = (s: number): number => (log ? 10 ** s : s)
  const scaled = points.map(scale)
  const lo = Math.min(...scaled)
  const hi = Math.max(...scaled)
  const span = hi > lo ? hi - lo : 1
  // Row 0 is the bottom; a flat curve sits in the middle row.
  const rowOf = (s: number): number => (hi > lo ? Math.round(((s - lo) / span) * (height - 1)) : Math.floor((height - 1) / 2))
  const grid = Array.from({ length: height }, () => Array.from({ length: points.length }, () => ' '))
  let previous: number | undefined
  scaled.forEach((s, c) => {
    const r = rowOf(s)
    if (previous !== undefined) {
      for (let k = Math.min(previous, r) + 1; k < Math.max(previous, r); k++) grid[k]![c] = '|'
    }
    grid[r]![c] = '*'
    previous = r
  })
  const middle = Math.floor((height - 1) / 2)
  const labels = new Map<number, string>([
    [height - 1, formatNumber(unscale(hi > lo ? hi : lo))],
    [middle, formatNumber(unscale(lo + ((hi > lo ? span : 0) * middle) / (height - 1)))],
    [0, formatNumber(unscale(lo))],
  ])
  const margin = Math.max(...[...labels.values()].map((l) => l.length))
  const lines: string[] = []
  for (let r = height - 1; r >= 0; r--) {
    const label = labels.get(r)
    const row = grid[r]!.join('').trimEnd()
    lines.push(label === undefined ? `${' '.repeat(margin)} |${row}` : `${label.padStart(margin)} +${row}`)
  }
  lines.push(`${' '.repeat(margin)} +${'-'.repeat(points.length)}`)
  const first = '1'
  const last = String(values.length)
  const gap = Math.max(1, points.length - first.length - last.length)
  lines.push(`${' '.repeat(margin + 2)}${first}${' '.repeat(gap)}${last}`)
  lines.push(`${' '.repeat(margin + 2)}${options.xLabel ?? 'step'}${log ? ' (y on a log scale)' : ''}`)
  return lines
}
