// @ts-check
/**
 * The charts, drawn with uPlot (loaded as the global `uPlot` by index.html):
 * batch loss per step of the live run, train and test loss and test
 * accuracy per epoch of every compared run (one colour per run, test loss
 * dashed), and a chart per layer of delta RMS and gradient norm when the
 * focused run's events carry `layers`.
 */
import { compact, percent, smooth } from './format.js'

/** @typedef {import('./series.js').Series} Series */
/** @typedef {import('uplot')} Plot */
/** @typedef {import('uplot').Options} PlotOptions */
/** @typedef {import('uplot').AlignedData} AlignedData */

/**
 * What the charts show.
 * @typedef {object} ChartView
 * @property {{ x: number[], y: number[] } | null} steps batch loss per step of the live run
 * @property {{ id: string, label: string, color: string, series: Series }[]} runs the compared runs
 * @property {Series | null} focus the run whose per-layer statistics are drawn
 * @property {boolean} logScale losses on a log scale
 * @property {boolean} accuracyFull the accuracy axis from 0 to 1 rather than fitted to the data
 * @property {number} smoothing weight of the moving average of the curves, 0 for none
 */

const height = 220
const stepColor = '#7c8da6'

/** Tick spacings for step and epoch numbers, which are whole: 1, 2, 5, 10, 20, 50, ... */
const wholeIncrements = Array.from({ length: 24 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3))

/** @param {HTMLElement} el */
const widthOf = (el) => Math.max(240, Math.floor(el.clientWidth))

/**
 * A y axis whose labels are compact and always fit (`3.0e6`, never a clipped `0,000`).
 * @param {(v: number) => string} format
 * @returns {import('uplot').Axis}
 */
const yAxis = (format) => ({ values: (_u, splits) => splits.map((v) => (v == null ? '' : format(v))), size: 64 })

/**
 * Options shared by the charts: a numeric x axis (uPlot assumes time otherwise).
 * @param {HTMLElement} el
 * @param {string} title
 * @param {string} xLabel
 * @param {PlotOptions['series']} series
 * @param {import('uplot').Scale} y
 * @param {(v: number) => string} format
 * @returns {PlotOptions}
 */
const options = (el, title, xLabel, series, y, format = compact) => ({
  title,
  width: widthOf(el),
  height,
  scales: { x: { time: false }, y },
  series,
  axes: [{ label: xLabel, incrs: wholeIncrements }, yAxis(format)],
  legend: { live: true },
  cursor: { drag: { x: true, y: false } },
})

/**
 * On a log scale a value that is not positive has no place: leave a gap.
 * @param {(number | null)[]} ys
 * @param {boolean} log
 */
const forScale = (ys, log) => (log ? ys.map((y) => (y !== null && y > 0 ? y : null)) : ys)

/**
 * An accuracy axis fitted to the data, with a little room, within 0..1.
 * @type {import('uplot').Range.Function}
 */
const fittedAccuracy = (_u, min, max) => {
  if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1]
  const pad = Math.max((max - min) * 0.1, 0.005)
  return [Math.max(0, min - pad), Math.min(1, max + pad)]
}

/**
 * A chart that is rebuilt when its shape (series, scales) changes and only
 * given new data otherwise.
 * @param {HTMLElement} el
 */
const chartSlot = (el) => {
  /** @type {Plot | undefined} */
  let plot
  let shape = ''
  return {
    /**
     * @param {string} key what the options depend on
     * @param {() => PlotOptions} make
     * @param {AlignedData} data
     */
    draw: (key, make, data) => {
      if (plot === undefined || key !== shape) {
        plot?.destroy()
        plot = new uPlot(make(), data, el)
        shape = key
      } else plot.setData(data)
    },
    resize: () => plot?.setSize({ width: widthOf(el), height }),
    clear: () => {
      plot?.destroy()
      plot = undefined
      shape = ''
    },
  }
}

/**
 * The aligned data of several runs' per-epoch series (x = the union of their epochs).
 * @param {{ x: number[], ys: (number | null)[][] }[]} tables
 * @returns {AlignedData}
 */
const joined = (tables) => {
  if (tables.length === 0) return [[]]
  const aligned = uPlot.join(tables.map((t) => /** @type {AlignedData} */ ([t.x, ...t.ys])))
  return aligned
}

/**
 * @typedef {object} Charts
 * @property {(view: ChartView) => void} update redraws the charts
 * @property {() => void} resize fits the charts to their containers
 */

/**
 * Creates the charts in their containers.
 * @param {{ steps: HTMLElement, loss: HTMLElement, accuracy: HTMLElement, layers: HTMLElement, layersView: HTMLElement }} els
 * @returns {Charts}
 */
export const createCharts = (els) => {
  const steps = chartSlot(els.steps)
  const loss = chartSlot(els.loss)
  const accuracy = chartSlot(els.accuracy)
  /** @type {Map<string, ReturnType<typeof chartSlot>>} */
  const layerSlots = new Map()

  /** @param {ChartView} view */
  const update = (view) => {
    const { logScale: log, smoothing } = view
    const lossY = log ? { distr: /** @type {const} */ (3) } : {}
    steps.draw(
      `steps|${log}`,
      () =>
        options(els.steps, 'Batch loss per step (live run)', 'step', [{ label: 'step' }, { label: 'batch loss', stroke: stepColor, width: 1 }], lossY),
      view.steps === null ? [[], []] : [view.steps.x, forScale(smooth(view.steps.y, smoothing), log)],
    )

    const runsKey = view.runs.map((r) => `${r.id}:${r.label}:${r.color}`).join('|')
    loss.draw(
      `${runsKey}|${log}`,
      () =>
        options(
          els.loss,
          'Loss per epoch (test dashed)',
          'epoch',
          [
            { label: 'epoch' },
            ...view.runs.flatMap((r) => [
              { label: `train · ${r.label}`, stroke: r.color, width: 2, points: { show: true, size: 4 }, spanGaps: true },
              { label: `test · ${r.label}`, stroke: r.color, width: 2, dash: [6, 4], spanGaps: true },
            ]),
          ],
          lossY,
        ),
      joined(
        view.runs.map((r) => ({
          x: r.series.epochX,
          ys: [forScale(smooth(r.series.trainLoss, smoothing), log), forScale(smooth(r.series.testLoss, smoothing), log)],
        })),
      ),
    )
    accuracy.draw(
      `${runsKey}|${view.accuracyFull}`,
      () =>
        options(
          els.accuracy,
          'Test accuracy per epoch',
          'epoch',
          [
            { label: 'epoch' },
            ...view.runs.map((r) => ({
              label: r.label,
              stroke: r.color,
              width: 2,
              points: { show: true, size: 4 },
              spanGaps: true,
              value: (/** @type {Plot} */ _u, /** @type {number | null} */ v) => (v == null ? '–' : percent(v)),
            })),
          ],
          { range: view.accuracyFull ? [0, 1] : fittedAccuracy },
          percent,
        ),
      joined(view.runs.map((r) => ({ x: r.series.epochX, ys: [smooth(r.series.testAccuracy, smoothing)] }))),
    )

    // One chart per layer, on a log scale: delta RMS and gradient norm span orders of magnitude.
    const layers = view.focus?.layers ?? new Map()
    els.layersView.hidden = layers.size === 0
    for (const [name, slot] of layerSlots) {
      if (!layers.has(name)) {
        slot.clear()
        layerSlots.delete(name)
        els.layers.querySelector(`[data-layer="${CSS.escape(name)}"]`)?.remove()
      }
    }
    for (const [name, stats] of layers) {
      let slot = layerSlots.get(name)
      let el = /** @type {HTMLElement | null} */ (els.layers.querySelector(`[data-layer="${CSS.escape(name)}"]`))
      if (slot === undefined || el === null) {
        el = document.createElement('div')
        el.className = 'chart'
        el.dataset['layer'] = name
        els.layers.append(el)
        slot = chartSlot(el)
        layerSlots.set(name, slot)
      }
      const target = el
      slot.draw(
        'layer',
        () =>
          options(
            target,
            `Layer ${name}`,
            'epoch',
            [
              { label: 'epoch' },
              { label: 'delta RMS', stroke: '#9333ea', width: 2, points: { show: true, size: 4 }, spanGaps: true },
              { label: 'gradient norm', stroke: '#0891b2', width: 2, points: { show: true, size: 4 }, spanGaps: true },
            ],
            { distr: 3 },
          ),
        [stats.epochX, forScale(stats.deltaRms, true), forScale(stats.gradNorm, true)],
      )
    }
  }

  return {
    update,
    resize: () => {
      for (const slot of [steps, loss, accuracy, ...layerSlots.values()]) slot.resize()
    },
  }
}
