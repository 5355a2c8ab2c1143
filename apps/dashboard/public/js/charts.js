// @ts-check
/**
 * The three live charts, drawn with uPlot (loaded as the global `uPlot` by
 * index.html): batch loss per step, train and test loss per epoch, and test
 * accuracy per epoch.
 */

/** @typedef {import('./series.js').Series} Series */
/** @typedef {import('uplot')} Plot */
/** @typedef {import('uplot').Options} PlotOptions */

const colors = { batch: '#7c8da6', train: '#2563eb', test: '#d9480f', accuracy: '#1a7f37' }

/** Tick spacings for step and epoch numbers, which are whole: 1, 2, 5, 10, 20, 50, ... */
const wholeIncrements = Array.from({ length: 24 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3))

/**
 * The width a chart should have in its container.
 * @param {HTMLElement} el
 */
const widthOf = (el) => Math.max(240, Math.floor(el.clientWidth))

/**
 * Options shared by the charts: numeric x axis (uPlot assumes time otherwise).
 * @param {HTMLElement} el
 * @param {string} title
 * @param {string} xLabel
 * @param {PlotOptions['series']} series
 * @param {PlotOptions['scales']} [scales]
 * @returns {PlotOptions}
 */
const options = (el, title, xLabel, series, scales = {}) => ({
  title,
  width: widthOf(el),
  height: 220,
  scales: { x: { time: false }, ...scales },
  series,
  axes: [{ label: xLabel, incrs: wholeIncrements }, {}],
  legend: { live: true },
  cursor: { drag: { x: true, y: false } },
})

/**
 * @typedef {object} Charts
 * @property {(series: Series) => void} update redraws the charts with the series' data
 * @property {() => void} resize fits the charts to their containers
 */

/**
 * Creates the charts in their containers.
 * @param {{ steps: HTMLElement, loss: HTMLElement, accuracy: HTMLElement }} els
 * @returns {Charts}
 */
export const createCharts = (els) => {
  const steps = new uPlot(
    options(els.steps, 'Batch loss per step', 'step', [
      { label: 'step' },
      { label: 'batch loss', stroke: colors.batch, width: 1 },
    ]),
    [[], []],
    els.steps,
  )
  const loss = new uPlot(
    options(els.loss, 'Loss per epoch', 'epoch', [
      { label: 'epoch' },
      { label: 'train loss', stroke: colors.train, width: 2, points: { show: true } },
      { label: 'test loss', stroke: colors.test, width: 2, points: { show: true }, spanGaps: true },
    ]),
    [[], [], []],
    els.loss,
  )
  const accuracy = new uPlot(
    options(
      els.accuracy,
      'Test accuracy per epoch',
      'epoch',
      [
        { label: 'epoch' },
        {
          label: 'test accuracy',
          stroke: colors.accuracy,
          width: 2,
          points: { show: true },
          spanGaps: true,
          value: (_u, v) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`),
        },
      ],
      { y: { range: [0, 1] } },
    ),
    [[], []],
    els.accuracy,
  )
  return {
    update: (s) => {
      steps.setData([s.stepX, s.stepLoss])
      loss.setData([s.epochX, s.trainLoss, s.testLoss])
      accuracy.setData([s.epochX, s.testAccuracy])
    },
    resize: () => {
      steps.setSize({ width: widthOf(els.steps), height: 220 })
      loss.setSize({ width: widthOf(els.loss), height: 220 })
      accuracy.setSize({ width: widthOf(els.accuracy), height: 220 })
    },
  }
}
