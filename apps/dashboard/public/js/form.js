// @ts-check
/**
 * The settings form: reading it, filling it, and showing errors next to
 * the fields they concern.
 */

/**
 * The form's settings as the server reads them: strings from the fields
 * (the server parses numbers and layer lists and fills in defaults).
 * @param {HTMLFormElement} form
 * @returns {Record<string, string>}
 */
export const readForm = (form) => {
  /** @type {Record<string, string>} */
  const out = {}
  for (const [name, value] of new FormData(form)) out[name] = String(value).trim()
  return out
}

/**
 * Puts settings (as the server sends them) into the form.
 * @param {HTMLFormElement} form
 * @param {Record<string, unknown>} settings
 */
export const fillForm = (form, settings) => {
  for (const el of Array.from(form.elements)) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement) || el.name === '') continue
    const value = settings[el.name]
    el.value = value === undefined || value === null ? '' : Array.isArray(value) ? value.join(',') : String(value)
  }
}

/**
 * Shows each field's error next to it and clears the others; an error for
 * no field of the form goes to `formError`, with `message` if given.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} formError
 * @param {Record<string, string>} fields
 * @param {string} [message]
 */
export const showErrors = (form, formError, fields, message = '') => {
  const shown = new Set()
  for (const span of Array.from(form.querySelectorAll('[data-error-for]'))) {
    const name = span.getAttribute('data-error-for') ?? ''
    const error = fields[name] ?? ''
    span.textContent = error
    form.querySelector(`[name="${name}"]`)?.setAttribute('aria-invalid', String(error !== ''))
    if (error !== '') shown.add(name)
  }
  const others = Object.entries(fields)
    .filter(([name]) => !shown.has(name))
    .map(([name, error]) => (name === '_' ? error : `${name}: ${error}`))
  formError.textContent = [message, ...others].filter((s) => s !== '').join(' · ')
}
