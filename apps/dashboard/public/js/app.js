// @ts-check
/**
 * The dashboard page: follows the live run's events at /events and its
 * status at /status/events (both Server-Sent Events), lists the kept runs
 * of /runs to compare them, draws it all, and starts and stops runs from
 * the form.
 */
import { createCharts } from './charts.js'
import { palette, runLabels } from './compare.js'
import { showConfusion, showMistakes } from './evaluation.js'
import { fillForm, readForm, showErrors } from './form.js'
import { duration, percent, show } from './format.js'
import { showGraph } from './graph.js'
import { showNetwork } from './network.js'
import { renderRuns, sortRuns } from './runs.js'
import { addEvent, emptySeries, epochsCsv, seriesFromLines } from './series.js'

/** @typedef {import('./series.js').Series} Series */
/** @typedef {import('./runs.js').RunSummary} RunSummary */

/**
 * The element with `id`, which index.html has.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
const byId = (id, type) => {
  const el = document.getElementById(id)
  if (!(el instanceof type)) throw new Error(`index.html has no ${type.name} #${id}`)
  return el
}

const form = byId('settings', HTMLFormElement)
const formError = byId('form-error', HTMLElement)
const startButton = byId('start', HTMLButtonElement)
const stopButton = byId('stop', HTMLButtonElement)
const graphView = byId('graph-view', HTMLElement)
const graphError = byId('graph-error', HTMLElement)
const graphFit = byId('graph-fit', HTMLInputElement)
const logScale = byId('log-scale', HTMLInputElement)
const accuracyFull = byId('accuracy-full', HTMLInputElement)
const smoothing = byId('smoothing', HTMLInputElement)
const runsBody = /** @type {HTMLTableSectionElement} */ (byId('runs-table', HTMLTableElement).tBodies[0])
const charts = createCharts({
  steps: byId('chart-steps', HTMLElement),
  loss: byId('chart-loss', HTMLElement),
  accuracy: byId('chart-accuracy', HTMLElement),
  layers: byId('layer-charts', HTMLElement),
  layersView: byId('layers-view', HTMLElement),
})

/**
 * POSTs JSON and reads the JSON answer.
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<{ status: number, body: any }>}
 */
const post = async (path, body) => {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json().catch(() => ({})) }
}

// ---- what the page knows ------------------------------------------------------

/** The live run's events, from /events. */
let live = emptySeries(0)
/** @type {{ state: string, run: number, id: string | null, settings: Record<string, unknown> | null, startedAt: string | null, message: string | null }} */
let status = { state: 'idle', run: 0, id: null, settings: null, startedAt: null, message: null }
/** @type {RunSummary[]} */
let runs = []
/** Kept runs being compared, by id. */
const compared = new Set()
/** Each compared run's colour, kept while it is compared. @type {Map<string, string>} */
const colors = new Map()
/** The run whose confusion matrix, layers and downloads are shown: a kept run's id, or null for the live run. */
/** @type {string | null} */
let focused = null
/** Kept runs' events, fetched once per change of the run. @type {Map<string, { key: string, series: Series }>} */
const kept = new Map()
let sortKey = 'id'
let sortAscending = false

/** @param {string} id */
const isLive = (id) => id === status.id
/** @param {string} id @returns {Series | undefined} */
const seriesOf = (id) => (isLive(id) ? live : kept.get(id)?.series)

/** @param {string} id */
const compare = (id) => {
  compared.add(id)
  if (!colors.has(id)) colors.set(id, palette.find((c) => ![...colors.values()].includes(c)) ?? palette[colors.size % palette.length])
}
/** @param {string} id */
const uncompare = (id) => {
  compared.delete(id)
  colors.delete(id)
}

// ---- drawing ------------------------------------------------------------------

let drawPending = false

const draw = () => {
  drawPending = false
  const f = live.figures
  byId('fig-epoch', HTMLElement).textContent = show(f.epoch, String)
  byId('fig-step', HTMLElement).textContent = show(f.step, String)
  byId('fig-loss', HTMLElement).textContent = show(f.loss)
  byId('fig-train-loss', HTMLElement).textContent = show(f.trainLoss)
  byId('fig-test-loss', HTMLElement).textContent = show(f.testLoss)
  byId('fig-accuracy', HTMLElement).textContent = show(f.testAccuracy, percent)
  byId('fig-speed', HTMLElement).textContent = show(f.samplesPerSecond, (s) => Math.round(s).toLocaleString('en'))
  drawProgress()

  // Compared runs in the table's order; without a log directory, the live run alone.
  const summaries = runs.filter((r) => compared.has(r.id))
  const labels = runLabels(summaries)
  const shown = summaries.flatMap((r) => {
    const series = seriesOf(r.id)
    return series === undefined ? [] : [{ id: r.id, label: labels.get(r.id) ?? r.id, color: colors.get(r.id) ?? palette[0], series }]
  })
  if (status.id === null && live.run !== 0) shown.unshift({ id: 'live', label: `run ${live.run}`, color: palette[0], series: live })
  const focus = (focused === null ? undefined : seriesOf(focused)) ?? live
  charts.update({
    steps: live.run === 0 ? null : { x: live.stepX, y: live.stepLoss },
    runs: shown,
    focus,
    logScale: logScale.checked,
    accuracyFull: accuracyFull.checked,
    smoothing: Number(smoothing.value),
  })
  drawEvaluation(focus)
}

/** Redraws at most once a frame, however fast events come. */
const scheduleDraw = () => {
  if (drawPending) return
  drawPending = true
  requestAnimationFrame(draw)
}

/** Epoch k of N, a bar, the time so far and the time left, for the live run. */
const drawProgress = () => {
  const box = byId('progress', HTMLElement)
  const epochs = Number(status.settings?.['epochs'])
  box.hidden = status.settings === null || !(epochs > 0) || live.run !== status.run
  if (box.hidden) return
  const done = live.events.filter((e) => e.type === 'epoch').length
  // Within an epoch, steps tell how far it is, once the first epoch has told how many steps one takes.
  const firstEpoch = live.events.find((e) => e.type === 'epoch')
  const perEpoch = firstEpoch?.type === 'epoch' ? firstEpoch.steps : 0
  const stepsInto = perEpoch > 0 && live.figures.step !== null ? live.figures.step - done * perEpoch : 0
  const fraction = status.state === 'done' ? 1 : Math.min(1, (done + (perEpoch > 0 ? Math.max(0, stepsInto) / perEpoch : 0)) / epochs)
  const current = Math.min(epochs, status.state === 'running' ? done + 1 : done)
  byId('progress-text', HTMLElement).textContent = `epoch ${current} of ${epochs}`
  byId('progress-bar', HTMLProgressElement).value = fraction
  const started = status.startedAt === null ? NaN : Date.parse(status.startedAt)
  const elapsed = (Date.now() - started) / 1000
  const left = status.state === 'running' && fraction > 0 ? (elapsed / fraction) * (1 - fraction) : NaN
  byId('progress-time', HTMLElement).textContent =
    status.state === 'running' ? `${duration(elapsed)} elapsed, ${Number.isFinite(left) ? `about ${duration(left)} left` : 'ETA –'}` : status.state
}
setInterval(() => status.state === 'running' && drawProgress(), 1000)

let mistakesShown = ''
/** @param {Series} series */
const drawEvaluation = (series) => {
  const view = byId('evaluation', HTMLElement)
  view.hidden = series.confusion === null
  if (series.confusion === null) return
  byId('confusion-of', HTMLElement).textContent = `(${focused ?? `run ${series.run}`}, epoch ${series.epochX.at(-1) ?? '–'})`
  showConfusion(byId('confusion', HTMLTableElement), series.confusion)
  void drawMistakes(series)
}

/**
 * Fetches the misclassified test images of the focused run (image data sets only) and draws them.
 * @param {Series} series
 */
const drawMistakes = async (series) => {
  const id = focused ?? status.id
  const key = `${id}|${series.misclassified.map((m) => m.sample).join(',')}`
  if (key === mistakesShown) return
  mistakesShown = key
  const strip = byId('mistakes-view', HTMLElement)
  if (id === null || series.misclassified.length === 0) {
    strip.hidden = true
    return
  }
  const res = await fetch(`/runs/${encodeURIComponent(id)}/samples?i=${series.misclassified.map((m) => m.sample).join(',')}`)
  strip.hidden = !res.ok
  if (res.ok) showMistakes(byId('mistakes', HTMLElement), series.misclassified, await res.json())
}

addEventListener('resize', () => charts.resize())
for (const input of [logScale, accuracyFull, smoothing]) {
  input.addEventListener('input', () => {
    byId('smoothing-value', HTMLElement).textContent = smoothing.value
    scheduleDraw()
  })
}

// ---- the kept runs ------------------------------------------------------------

const drawRuns = () => {
  renderRuns(runsBody, sortRuns(runs, sortKey, sortAscending), {
    compared,
    colors,
    focused: focused ?? status.id,
    onCompare: (id, on) => {
      if (on) compare(id)
      else uncompare(id)
      void loadCompared().then(scheduleDraw)
      drawRuns()
    },
    onFocus: (id) => {
      focused = id
      compare(id)
      void loadCompared().then(scheduleDraw)
      drawRuns()
    },
    onDelete: (id) => void deleteRun(id),
  })
  byId('runs-empty', HTMLElement).hidden = runs.length > 0
  for (const th of Array.from(document.querySelectorAll('#runs-table th[data-sort]'))) {
    th.setAttribute('aria-sort', th.getAttribute('data-sort') === sortKey ? (sortAscending ? 'ascending' : 'descending') : 'none')
  }
}

for (const th of Array.from(document.querySelectorAll('#runs-table th[data-sort]'))) {
  th.addEventListener('click', () => {
    const key = th.getAttribute('data-sort') ?? 'id'
    sortAscending = key === sortKey ? !sortAscending : key !== 'id'
    sortKey = key
    drawRuns()
  })
}

/** Fetches the events of compared kept runs that changed since they were fetched. */
const loadCompared = async () => {
  await Promise.all(
    runs
      .filter((r) => compared.has(r.id) && !isLive(r.id))
      .map(async (r) => {
        const key = `${r.state}|${r.epochs}`
        if (kept.get(r.id)?.key === key) return
        const res = await fetch(`/runs/${encodeURIComponent(r.id)}/events`)
        if (res.ok) kept.set(r.id, { key, series: seriesFromLines(0, await res.text()) })
      }),
  )
}

const refreshRuns = async () => {
  const res = await fetch('/runs').catch(() => undefined)
  if (res === undefined || !res.ok) return
  runs = await res.json()
  const ids = new Set(runs.map((r) => r.id))
  for (const id of [...compared]) if (!ids.has(id)) uncompare(id)
  if (focused !== null && !ids.has(focused)) focused = null
  drawRuns()
  await loadCompared()
  scheduleDraw()
}
setInterval(() => void refreshRuns(), 2000)

/** @param {string} id */
const deleteRun = async (id) => {
  if (!confirm(`Delete run ${id} and its folder? This cannot be undone.`)) return
  const res = await fetch(`/runs/${encodeURIComponent(id)}`, { method: 'DELETE' })
  if (!res.ok) formError.textContent = (await res.json().catch(() => ({}))).error ?? `delete failed (${res.status})`
  uncompare(id)
  kept.delete(id)
  await refreshRuns()
}

/**
 * Saves `text` as a file.
 * @param {string} name
 * @param {string} type
 * @param {string} text
 */
const download = (name, type, text) => {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([text], { type }))
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}
const focusName = () => focused ?? status.id ?? `run-${live.run}`
const focusSeries = () => (focused === null ? undefined : seriesOf(focused)) ?? live
byId('download-csv', HTMLButtonElement).addEventListener('click', () =>
  download(`${focusName()}.csv`, 'text/csv', epochsCsv(focusSeries())),
)
byId('download-json', HTMLButtonElement).addEventListener('click', () =>
  download(`${focusName()}.json`, 'application/json', `${JSON.stringify(focusSeries().events, null, 1)}\n`),
)

// ---- the event stream -----------------------------------------------------

const connection = byId('connection', HTMLElement)
const events = new EventSource('/events')
events.addEventListener('open', () => {
  connection.textContent = 'live'
  connection.dataset['connected'] = 'true'
})
events.addEventListener('error', () => {
  connection.textContent = 'reconnecting…'
  connection.dataset['connected'] = 'false'
})
events.addEventListener('message', (message) => {
  // Event ids are `run-seq`: a new run number means a new run, so start its charts afresh.
  const run = Number(message.lastEventId.split('-')[0])
  if (run !== live.run) live = emptySeries(run)
  addEvent(live, JSON.parse(message.data))
  scheduleDraw()
})

// ---- the run's status --------------------------------------------------------

let shownRun = -1
const statusEvents = new EventSource('/status/events')
statusEvents.addEventListener('message', (message) => {
  status = JSON.parse(message.data)
  const state = byId('state', HTMLElement)
  state.textContent = status.state
  state.dataset['state'] = status.state
  byId('state-message', HTMLElement).textContent = status.message ?? ''
  byId('run', HTMLElement).textContent = status.run === 0 ? '–' : String(status.run)
  startButton.disabled = status.state === 'running'
  stopButton.disabled = status.state !== 'running'
  // A run started here or in another browser: show its settings and its graph, and compare it.
  if (status.settings !== null && status.run !== shownRun) {
    shownRun = status.run
    fillForm(form, status.settings)
    void drawGraph()
    if (status.id !== null && status.state === 'running') {
      compare(status.id)
      focused = null
    }
  }
  void refreshRuns()
  scheduleDraw()
})

// ---- the form ------------------------------------------------------------

let lastDrawn = ''
const drawGraph = async () => {
  const settings = readForm(form)
  const key = JSON.stringify(settings)
  if (key === lastDrawn) return
  lastDrawn = key
  const fields = await showGraph(graphView, graphError, settings)
  if (Object.keys(fields).length > 0) showErrors(form, formError, fields)
}

/** Checks the settings on the server and shows what is wrong next to each field. */
const validate = async () => {
  const { status: code, body } = await post('/validate', readForm(form))
  showErrors(form, formError, body.fields ?? {}, code === 200 || body.fields ? '' : body.error)
  if (code === 200) await drawGraph()
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let typing
form.addEventListener('input', () => {
  clearTimeout(typing)
  typing = setTimeout(() => void validate(), 300)
})

form.addEventListener('submit', async (submit) => {
  submit.preventDefault()
  clearTimeout(typing)
  startButton.disabled = true
  const { status: code, body } = await post('/start', readForm(form))
  if (code === 202) {
    showErrors(form, formError, {})
    return
  }
  startButton.disabled = code === 409
  showErrors(form, formError, body.fields ?? {}, body.fields && Object.keys(body.fields).length > 0 ? '' : body.error)
})

stopButton.addEventListener('click', async () => {
  stopButton.disabled = true
  const { status: code, body } = await post('/stop', {})
  if (code !== 200) formError.textContent = body.error ?? `stop failed (${code})`
})

const fillDefaults = async () => {
  fillForm(form, await (await fetch('/defaults')).json())
  await validate()
}
byId('reset', HTMLButtonElement).addEventListener('click', () => void fillDefaults())

graphFit.addEventListener('change', () => graphView.classList.toggle('fit', graphFit.checked))

// ---- the network at one sample ----------------------------------------------

const networkView = byId('network-view', HTMLElement)
const networkFit = byId('network-fit', HTMLInputElement)
byId('network-form', HTMLFormElement).addEventListener('submit', (submit) => {
  submit.preventDefault()
  const sample = byId('network-sample', HTMLInputElement).valueAsNumber
  void showNetwork(networkView, byId('network-caption', HTMLElement), byId('network-error', HTMLElement), sample)
})
networkFit.addEventListener('change', () => networkView.classList.toggle('fit', networkFit.checked))

// ---- start ----------------------------------------------------------------

const init = async () => {
  const res = await fetch('/status')
  const now = await res.json()
  if (now.settings === null) await fillDefaults()
}
void init()
