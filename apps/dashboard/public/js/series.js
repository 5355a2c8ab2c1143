// @ts-check
/**
 * The chart data of one run, built from its training events. Step points are
 * kept in bounded memory: past `maxSteps` the series halves its resolution
 * (keeps every other point and from then on every 2nd, 4th, ... step), so a
 * long run costs the page no more than a short one.
 */

/**
 * @typedef {{ type: 'step', step: number, epoch: number, loss: number }} StepEvent
 * @typedef {{ layer: number | string, deltaRms: number, gradNorm: number, weightNorm?: number }} LayerStats
 * @typedef {{ sample: number, actual: number, predicted: number }} Mistake
 * @typedef {{ type: 'epoch', epoch: number, steps: number, trainLoss: number, testLoss: number | null,
 *   testAccuracy: number | null, samplesPerSecond: number, confusion?: number[][], misclassified?: Mistake[],
 *   layers?: LayerStats[] }} EpochEvent
 * @typedef {{ type: 'done', epochs: number, steps: number, trainLoss: number, testLoss: number | null,
 *   testAccuracy: number | null, samplesPerSecond: number }} DoneEvent
 * @typedef {{ type: 'error', message: string, step: number | null, epoch: number | null }} ErrorEvent
 * @typedef {StepEvent | EpochEvent | DoneEvent | ErrorEvent} TrainEvent
 */

/**
 * @typedef {object} Figures The latest figures, shown as text.
 * @property {number | null} epoch
 * @property {number | null} step
 * @property {number | null} loss batch loss of the latest step
 * @property {number | null} trainLoss
 * @property {number | null} testLoss
 * @property {number | null} testAccuracy
 * @property {number | null} samplesPerSecond
 * @property {string | null} error
 */

/**
 * @typedef {object} Series
 * @property {number} run the run these events belong to
 * @property {number[]} stepX step numbers
 * @property {number[]} stepLoss batch loss per kept step
 * @property {number} stride every how many steps one is kept
 * @property {number} stepsSeen step events seen
 * @property {number[]} epochX epoch numbers
 * @property {(number | null)[]} trainLoss per epoch
 * @property {(number | null)[]} testLoss per epoch
 * @property {(number | null)[]} testAccuracy per epoch
 * @property {Map<string, { epochX: number[], deltaRms: (number | null)[], gradNorm: (number | null)[] }>} layers
 *   per-layer statistics by layer name, when the events carry them
 * @property {number[][] | null} confusion the latest test confusion matrix
 * @property {Mistake[]} misclassified the latest misclassified test samples
 * @property {TrainEvent[]} events every event but the steps, in order (what `train --json` prints)
 * @property {Figures} figures
 */

/** Step points kept before the series thins itself. */
export const maxSteps = 20000

/**
 * An empty series for `run`.
 * @param {number} run
 * @returns {Series}
 */
export const emptySeries = (run) => ({
  run,
  stepX: [],
  stepLoss: [],
  stride: 1,
  stepsSeen: 0,
  epochX: [],
  trainLoss: [],
  testLoss: [],
  testAccuracy: [],
  layers: new Map(),
  confusion: null,
  misclassified: [],
  events: [],
  figures: {
    epoch: null,
    step: null,
    loss: null,
    trainLoss: null,
    testLoss: null,
    testAccuracy: null,
    samplesPerSecond: null,
    error: null,
  },
})

/**
 * A figure from an event: a number, or one JSON has no literal for, which
 * arrives as the string "NaN", "Infinity" or "-Infinity" (as `train --json`
 * prints them); `null` for a figure that is absent (no test set, say).
 * @param {unknown} value
 * @returns {number | null}
 */
export const num = (value) => {
  if (typeof value === 'number') return value
  return value === 'NaN' || value === 'Infinity' || value === '-Infinity' ? Number(value) : null
}

/**
 * A figure as a chart point: a gap where it is absent or not finite.
 * @param {number | null} x
 * @returns {number | null}
 */
const point = (x) => (x !== null && Number.isFinite(x) ? x : null)

/**
 * Copies the figures an epoch or done event reports into `f`.
 * @param {Figures} f
 * @param {EpochEvent | DoneEvent} event
 */
const takeFigures = (f, event) => {
  f.trainLoss = num(event.trainLoss)
  f.testLoss = num(event.testLoss)
  f.testAccuracy = num(event.testAccuracy)
  f.samplesPerSecond = num(event.samplesPerSecond)
}

/**
 * Adds one event to the series (mutating it: the page owns it alone).
 * @param {Series} series
 * @param {TrainEvent} event
 */
export const addEvent = (series, event) => {
  const f = series.figures
  if (event.type !== 'step') series.events.push(event)
  switch (event.type) {
    case 'step': {
      f.step = event.step
      f.epoch = event.epoch
      f.loss = num(event.loss)
      if (series.stepsSeen++ % series.stride !== 0) return
      // Steps can repeat after a reconnection's replay; keep x increasing for the chart.
      const last = series.stepX[series.stepX.length - 1]
      if (last !== undefined && event.step <= last) return
      series.stepX.push(event.step)
      series.stepLoss.push(point(f.loss) ?? NaN)
      if (series.stepX.length > maxSteps) {
        series.stepX = series.stepX.filter((_, i) => i % 2 === 0)
        series.stepLoss = series.stepLoss.filter((_, i) => i % 2 === 0)
        series.stride *= 2
      }
      return
    }
    case 'epoch': {
      f.epoch = event.epoch
      f.step = event.steps
      takeFigures(f, event)
      const last = series.epochX[series.epochX.length - 1]
      if (last !== undefined && event.epoch <= last) return
      series.epochX.push(event.epoch)
      series.trainLoss.push(point(f.trainLoss))
      series.testLoss.push(point(f.testLoss))
      series.testAccuracy.push(point(f.testAccuracy))
      if (Array.isArray(event.confusion)) series.confusion = event.confusion
      if (Array.isArray(event.misclassified)) series.misclassified = event.misclassified
      for (const stats of Array.isArray(event.layers) ? event.layers : []) {
        const name = String(stats.layer)
        const layer = series.layers.get(name) ?? { epochX: [], deltaRms: [], gradNorm: [] }
        layer.epochX.push(event.epoch)
        layer.deltaRms.push(point(num(stats.deltaRms)))
        layer.gradNorm.push(point(num(stats.gradNorm)))
        series.layers.set(name, layer)
      }
      return
    }
    case 'done':
      f.epoch = event.epochs
      f.step = event.steps
      takeFigures(f, event)
      return
    case 'error':
      f.error = event.message
      return
  }
}

/**
 * The series of a kept run from its `events.jsonl` text (one event per line;
 * blank lines skipped).
 * @param {number} run
 * @param {string} text
 * @returns {Series}
 */
export const seriesFromLines = (run, text) => {
  const series = emptySeries(run)
  for (const line of text.split('\n')) if (line.trim() !== '') addEvent(series, JSON.parse(line))
  return series
}

/**
 * The epoch figures of a series as CSV, one row per epoch, for a spreadsheet.
 * @param {Series} series
 * @returns {string}
 */
export const epochsCsv = (series) => {
  const header = 'epoch,steps,trainLoss,testLoss,testAccuracy,samplesPerSecond'
  /** @param {unknown} v */
  const cell = (v) => (v === null || v === undefined ? '' : String(v))
  const rows = series.events
    .filter((e) => e.type === 'epoch')
    .map((e) => (e.type === 'epoch' ? [e.epoch, e.steps, e.trainLoss, e.testLoss, e.testAccuracy, e.samplesPerSecond].map(cell).join(',') : ''))
  return [header, ...rows].join('\n') + '\n'
}
