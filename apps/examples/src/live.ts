import type { MnistProgress } from './mnist-curve.js'
import { lineChart, sparkline } from './plot.js'

/**
 * Where the examples print: plain text, error lines, and whether the output
 * is a terminal that understands cursor movement (for redrawing a chart in
 * place).
 *
 * @category Command line
 */
export interface Terminal {
  /** Writes `text` as it is; lines end in `\n`. */
  write(text: string): void
  /** Writes one line about a failure. */
  error(line: string): void
  /** True on an interactive terminal. */
  readonly isTTY: boolean
}

/** ANSI: move the cursor up n lines and clear from there to the end of the screen. */
const rewind = (n: number): string => (n > 0 ? `\x1b[${n}A\x1b[J` : '')

/**
 * A live view of a growing loss curve. On a terminal the chart is redrawn in
 * place about 50 times over the run; elsewhere (a pipe, a log file) one line
 * with the step, the latest loss and a sparkline of the curve so far is
 * printed about 10 times. `finish` removes the live chart, so that the
 * final report takes its place.
 *
 * @category Command line
 */
export const liveCurve = (
  term: Terminal,
): { readonly onStep: (progress: MnistProgress) => void; readonly finish: () => void } => {
  let drawn = 0
  const onStep = ({ step, epoch, totalSteps, curve }: MnistProgress): void => {
    const updates = term.isTTY ? 50 : 10
    const every = Math.max(1, Math.floor(totalSteps / updates))
    if (step % every !== 0 && step !== totalSteps) return
    const status = `step ${step}/${totalSteps} (epoch ${epoch})  loss ${curve[curve.length - 1]!.toFixed(4)}`
    if (!term.isTTY) {
      term.write(`${status}  ${sparkline(curve, 40)}\n`)
      return
    }
    const lines = [...lineChart(curve, { xLabel: 'step', height: 10 }), status]
    term.write(rewind(drawn) + lines.map((l) => `${l}\n`).join(''))
    drawn = lines.length
  }
  const finish = (): void => {
    if (term.isTTY) term.write(rewind(drawn))
    drawn = 0
  }
  return { onStep, finish }
}
