// @ts-check
/**
 * The dashboard page: follows the training events at /events and the run's
 * status at /status/events (both Server-Sent Events), draws them, and
 * starts and stops runs from the form.
 */
import { createCharts } from './charts.js'
import { fillForm, readForm, showErrors } from './form.js'
import { showGraph } from './graph.js'
import { addEvent, emptySeries } from './series.js'

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
const charts = createCharts({
  steps: byId('chart-steps', HTMLElement),
  loss: byId('chart-loss', HTMLElement),
  accuracy: byId('chart-accuracy', HTMLElement),
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

// ---- figures and charts -------------------------------------------------

let series = emptySeries(0)
let drawPending = false

/**
 * @param {number | null} x
 * @param {(x: number) => string} format
 */
const show = (x, format) => (x === null ? '–' : Number.isNaN(x) ? 'NaN' : x === Infinity ? '∞' : x === -Infinity ? '−∞' : format(x))
const figure = (/** @type {number} */ x) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toPrecision(4))

const draw = () => {
  drawPending = false
  const f = series.figures
  byId('run', HTMLElement).textContent = series.run === 0 ? '–' : String(series.run)
  byId('fig-epoch', HTMLElement).textContent = show(f.epoch, String)
  byId('fig-step', HTMLElement).textContent = show(f.step, String)
  byId('fig-loss', HTMLElement).textContent = show(f.loss, figure)
  byId('fig-train-loss', HTMLElement).textContent = show(f.trainLoss, figure)
  byId('fig-test-loss', HTMLElement).textContent = show(f.testLoss, figure)
  byId('fig-accuracy', HTMLElement).textContent = show(f.testAccuracy, (a) => `${(a * 100).toFixed(1)}%`)
  byId('fig-speed', HTMLElement).textContent = show(f.samplesPerSecond, (s) => Math.round(s).toLocaleString('en'))
  charts.update(series)
}

/** Redraws at most once a frame, however fast events come. */
const scheduleDraw = () => {
  if (drawPending) return
  drawPending = true
  requestAnimationFrame(draw)
}

addEventListener('resize', () => charts.resize())

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
  if (run !== series.run) series = emptySeries(run)
  addEvent(series, JSON.parse(message.data))
  scheduleDraw()
})

// ---- the run's status --------------------------------------------------------

let shownRun = -1
const status = new EventSource('/status/events')
status.addEventListener('message', (message) => {
  /** @type {{ state: string, run: number, settings: Record<string, unknown> | null, message: string | null }} */
  const now = JSON.parse(message.data)
  const state = byId('state', HTMLElement)
  state.textContent = now.state
  state.dataset['state'] = now.state
  byId('state-message', HTMLElement).textContent = now.message ?? ''
  byId('run', HTMLElement).textContent = now.run === 0 ? '–' : String(now.run)
  startButton.disabled = now.state === 'running'
  stopButton.disabled = now.state !== 'running'
  // A run started here or in another browser: show its settings and its graph.
  if (now.settings !== null && now.run !== shownRun) {
    shownRun = now.run
    fillForm(form, now.settings)
    void drawGraph()
  }
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

graphFit.addEventListener('change', () => graphView.classList.toggle('fit', graphFit.checked))

// ---- start ----------------------------------------------------------------

const init = async () => {
  const res = await fetch('/status')
  const now = await res.json()
  if (now.settings === null) {
    fillForm(form, await (await fetch('/defaults')).json())
    await drawGraph()
  }
}
void init()
