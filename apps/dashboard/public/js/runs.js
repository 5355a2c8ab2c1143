// @ts-check
/**
 * The table of kept runs: one row per run with its settings and last
 * figures, sortable by any column, with a box to compare it and a button
 * to delete it.
 */
import { percent, show } from './format.js'
import { num } from './series.js'

/**
 * A run as `GET /runs` lists it.
 * @typedef {{ id: string, state: string, settings: Record<string, unknown> | null, startedAt: string | null,
 *   source: string | null, epochs: number, last: Record<string, unknown> | null, message: string | null,
 *   problems: string[] }} RunSummary
 */

/**
 * The value a column sorts by.
 * @param {RunSummary} run
 * @param {string} key
 * @returns {string | number}
 */
export const sortValue = (run, key) => {
  if (key === 'id' || key === 'state') return run[key]
  if (key === 'epochs') return run.epochs
  if (key === 'trainLoss' || key === 'testLoss' || key === 'testAccuracy') {
    // A figure that is absent or NaN sorts below every number.
    const x = num(run.last?.[key])
    return x === null || Number.isNaN(x) ? -Infinity : x
  }
  const v = run.settings?.[key]
  if (typeof v === 'number') return v
  if (key === 'layers' && Array.isArray(v)) return v.join(',')
  return v === undefined || v === null ? '' : String(v)
}

/**
 * The runs in the order of `key`, ascending or not; ties keep the newest first.
 * @param {RunSummary[]} runs
 * @param {string} key
 * @param {boolean} ascending
 */
export const sortRuns = (runs, key, ascending) =>
  runs
    .map((run, i) => ({ run, i }))
    .sort((a, b) => {
      const [x, y] = [sortValue(a.run, key), sortValue(b.run, key)]
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
      return (ascending ? order : -order) || a.i - b.i
    })
    .map(({ run }) => run)

/**
 * @typedef {object} RunRowsOptions
 * @property {Set<string>} compared ids of the runs being compared
 * @property {Map<string, string>} colors each compared run's colour
 * @property {string | null} focused the run the figures below are about
 * @property {(id: string, on: boolean) => void} onCompare
 * @property {(id: string) => void} onFocus
 * @property {(id: string) => void} onDelete
 */

/**
 * Renders the rows of the runs table.
 * @param {HTMLTableSectionElement} body
 * @param {RunSummary[]} runs in the order to show
 * @param {RunRowsOptions} o
 */
export const renderRuns = (body, runs, o) => {
  const rows = runs.map((run) => {
    const tr = document.createElement('tr')
    tr.dataset['run'] = run.id
    tr.dataset['focused'] = String(run.id === o.focused)
    const s = run.settings ?? {}
    /** @param {string} text @param {string} [title] */
    const td = (text, title) => {
      const el = document.createElement('td')
      el.textContent = text
      if (title) el.title = title
      tr.append(el)
      return el
    }
    const box = document.createElement('input')
    box.type = 'checkbox'
    box.checked = o.compared.has(run.id)
    box.setAttribute('aria-label', `compare ${run.id}`)
    box.addEventListener('change', () => o.onCompare(run.id, box.checked))
    const first = td('')
    first.append(box)
    const color = o.colors.get(run.id)
    if (color !== undefined) {
      const swatch = document.createElement('span')
      swatch.className = 'swatch'
      swatch.style.background = color
      first.append(swatch)
    }
    const name = td('')
    const link = document.createElement('a')
    link.href = `#${run.id}`
    link.textContent = run.id
    link.addEventListener('click', (click) => {
      click.preventDefault()
      o.onFocus(run.id)
    })
    name.append(link)
    td(run.state, [run.message ?? '', ...run.problems].filter((x) => x !== '').join('\n')).dataset['state'] = run.state
    td(String(s['dataset'] ?? '–'))
    td(Array.isArray(s['layers']) ? s['layers'].join(',') : '–')
    td(String(s['optimizer'] ?? '–'))
    td(typeof s['lr'] === 'number' ? String(s['lr']) : '–')
    td(typeof s['batch'] === 'number' ? String(s['batch']) : '–')
    td(typeof s['epochs'] === 'number' ? `${run.epochs}/${s['epochs']}` : String(run.epochs))
    td(show(num(run.last?.['trainLoss'])))
    td(show(num(run.last?.['testLoss'])))
    td(show(num(run.last?.['testAccuracy']), percent))
    const remove = document.createElement('button')
    remove.type = 'button'
    remove.textContent = 'Delete'
    remove.className = 'delete'
    remove.disabled = run.state === 'running'
    remove.addEventListener('click', () => o.onDelete(run.id))
    td('').append(remove)
    return tr
  })
  body.replaceChildren(...rows)
}
