// @ts-check
/**
 * The network at one test sample: the server computes the run's network at
 * its current parameters on that sample and draws it (every node with its
 * value and its adjoint dE/dv); this shows the drawing inline, cleaned like
 * the model's graph, with a line saying what it shows.
 */
import { parseSvg } from './graph.js'
import { show } from './format.js'

/**
 * The caption of a network view: which run, epoch and sample, the loss on
 * it, and the target and output rows.
 * @param {{ run: number, epoch: number | null, sample: number, loss: number, target: number[], output: number[] }} view
 * @returns {string}
 */
export const networkCaption = (view) => {
  const row = (/** @type {number[]} */ xs) => `[${xs.map((x) => show(x, (v) => v.toPrecision(3))).join(', ')}]`
  const epoch = view.epoch === null ? '' : ` after epoch ${view.epoch}`
  return `run ${view.run}${epoch}, test sample ${view.sample}: E = ${show(view.loss, (v) => v.toPrecision(4))}, t = ${row(view.target)}, y = ${row(view.output)}`
}

/**
 * Fetches the network at test sample `sample` and shows it in `view` with
 * its caption, or shows why it cannot be drawn in `errorEl`.
 * @param {HTMLElement} view
 * @param {HTMLElement} caption
 * @param {HTMLElement} errorEl
 * @param {number} sample
 * @returns {Promise<void>}
 */
export const showNetwork = async (view, caption, errorEl, sample) => {
  const res = await fetch(`/network?sample=${encodeURIComponent(String(sample))}`)
  const body = await res.json().catch(() => ({}))
  if (!res.ok) {
    // An old drawing under a refusal would read as the answer.
    view.replaceChildren()
    caption.textContent = ''
    errorEl.textContent = res.status === 501 ? 'this dashboard draws no network' : body.error ?? res.statusText
    return
  }
  const svg = parseSvg(body.svg)
  if (svg === null) {
    errorEl.textContent = 'the server sent something that is not SVG'
    return
  }
  errorEl.textContent = ''
  caption.textContent = networkCaption(body)
  view.replaceChildren(svg)
}
