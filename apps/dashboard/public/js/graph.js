// @ts-check
/**
 * Shows the model's graph: the SVG the server draws, parsed and inserted
 * inline (so it scales and scrolls with the page) after removing anything
 * active it could contain. The page's Content-Security-Policy already
 * forbids inline scripts; this is a second fence.
 */

const svgNs = 'http://www.w3.org/2000/svg'

/**
 * Parses SVG text into a clean element, or null if it is not SVG.
 * @param {string} text
 * @returns {SVGSVGElement | null}
 */
export const parseSvg = (text) => {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml')
  const root = doc.documentElement
  if (root.namespaceURI !== svgNs || root.localName !== 'svg' || doc.querySelector('parsererror') !== null) return null
  for (const el of Array.from(root.querySelectorAll('script, foreignObject, iframe, object, embed'))) el.remove()
  for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase()
      const isLink = name === 'href' || name.endsWith(':href')
      if (name.startsWith('on') || (isLink && !attr.value.trim().startsWith('#'))) el.removeAttribute(attr.name)
    }
  }
  const node = document.importNode(root, true)
  return node instanceof SVGSVGElement ? node : null
}

/**
 * Fetches the graph for `settings` and shows it in `view`, or shows why it
 * cannot be drawn in `errorEl` (and returns the field errors, if any).
 * @param {HTMLElement} view
 * @param {HTMLElement} errorEl
 * @param {Record<string, unknown>} settings
 * @returns {Promise<Record<string, string>>}
 */
export const showGraph = async (view, errorEl, settings) => {
  const res = await fetch('/graph', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  })
  if (!res.ok) {
    const body = await res.json().catch(() => ({}))
    errorEl.textContent = res.status === 501 ? '' : `graph: ${body.error ?? res.statusText}`
    if (res.status === 501) view.replaceChildren()
    return body.fields ?? {}
  }
  const svg = parseSvg(await res.text())
  if (svg === null) {
    errorEl.textContent = 'graph: the server sent something that is not SVG'
    return {}
  }
  errorEl.textContent = ''
  view.replaceChildren(svg)
  return {}
}
