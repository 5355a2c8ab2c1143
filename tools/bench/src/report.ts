/** A measured figure per system; `null` where a system cannot run the case (tfjs has no float64). */
export type Figures = Readonly<Record<string, number | null>>

/** One row of a section: a label, and a figure per system. */
export interface Row {
  readonly label: string
  readonly figures: Figures
}

/** A table of the report: what is measured, in which unit, whether more is better, and its rows. */
export interface Section {
  readonly title: string
  readonly unit: string
  readonly higherIsBetter: boolean
  /** The columns, in order; `ours` are this library's variants, the others its peers. */
  readonly ours: readonly string[]
  readonly peers: readonly string[]
  readonly rows: readonly Row[]
  /** Systems that did not compute the same thing as the others (a wrong product, a diverging loss): the section fails. */
  readonly failures?: readonly string[]
}

const format = (x: number): string => {
  if (x >= 1000) return Math.round(x).toLocaleString('en-US')
  if (x >= 100) return x.toFixed(0)
  if (x >= 10) return x.toFixed(1)
  return x.toFixed(2)
}

/**
 * The ratio of this library's first column to a peer's, as "how many times
 * better": throughput over throughput, or time over time inverted.
 */
export const ratio = (section: Section, row: Row, peer: string): number | null => {
  const ours = row.figures[section.ours[0]!]
  const theirs = row.figures[peer]
  if (ours == null || theirs == null || ours === 0 || theirs === 0) return null
  return section.higherIsBetter ? ours / theirs : theirs / ours
}

/** The section as aligned text: our figures, then each peer's figure with our ratio to it. */
export const renderSection = (section: Section): string => {
  const header = ['', ...section.ours, ...section.peers]
  const lines = section.rows.map((row) => [
    row.label,
    ...section.ours.map((s) => (row.figures[s] == null ? 'n/a' : format(row.figures[s]!))),
    ...section.peers.map((p) => {
      const v = row.figures[p]
      if (v == null) return 'n/a'
      const r = ratio(section, row, p)
      return r == null ? format(v) : `${format(v)} (${r.toFixed(2)}x)`
    }),
  ])
  const widths = header.map((_, c) => Math.max(header[c]!.length, ...lines.map((l) => l[c]!.length)))
  const pad = (cells: readonly string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
  const note = section.peers.length > 0 ? `; (Nx) = ${section.ours[0]} is N times faster than that peer` : ''
  const failed = (section.failures ?? []).map((f) => `FAILED: ${f}`)
  return [`${section.title} [${section.unit}${note}]`, pad(header), ...lines.map(pad), ...failed].join('\n')
}

/** A target of the issue and whether the run met it. */
export interface Target {
  readonly target: string
  readonly value: string
  readonly met: boolean | null
}

/** The targets as lines of text. */
export const renderTargets = (targets: readonly Target[]): string =>
  ['Targets', ...targets.map((t) => `  ${t.met === null ? '?' : t.met ? 'met    ' : 'NOT met'}  ${t.target}: ${t.value}`)].join('\n')
