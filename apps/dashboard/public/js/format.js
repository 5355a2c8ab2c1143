// @ts-check
/**
 * Numbers as the page shows them: short enough for an axis label or a
 * table cell whatever their size, so that a diverging loss of 3,000,000
 * reads "3.0e6" rather than being cut to "0,000".
 */

/**
 * A number in at most about seven characters: plain for everyday sizes,
 * in exponent form for very large or very small ones.
 * @param {number} x
 * @returns {string}
 */
export const compact = (x) => {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞'
  const a = Math.abs(x)
  if (a === 0) return '0'
  if (a >= 1e5 || a < 1e-3) return x.toExponential(1).replace('e+', 'e')
  return String(Number(x.toPrecision(4)))
}

/**
 * A figure, or a dash when absent; NaN and infinities spelled out.
 * @param {number | null} x
 * @param {(x: number) => string} [format]
 * @returns {string}
 */
export const show = (x, format = compact) =>
  x === null ? '–' : Number.isNaN(x) ? 'NaN' : x === Infinity ? '∞' : x === -Infinity ? '−∞' : format(x)

/**
 * A fraction as a percentage with one decimal.
 * @param {number} x
 */
export const percent = (x) => `${(x * 100).toFixed(1)}%`

/**
 * A duration in seconds as `1h02m`, `3m05s` or `42s`.
 * @param {number} s
 * @returns {string}
 */
export const duration = (s) => {
  if (!Number.isFinite(s) || s < 0) return '–'
  const t = Math.round(s)
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`
  return `${t}s`
}

/**
 * Exponential moving average of a series, debiased (as TensorBoard smooths):
 * weight 0 leaves it as is, weight near 1 flattens it. Gaps stay gaps.
 * @param {(number | null)[]} ys
 * @param {number} weight in [0, 1)
 * @returns {(number | null)[]}
 */
export const smooth = (ys, weight) => {
  if (weight <= 0) return ys
  let last = 0
  let count = 0
  return ys.map((y) => {
    if (y === null || !Number.isFinite(y)) return y
    last = last * weight + (1 - weight) * y
    count++
    return last / (1 - weight ** count)
  })
}
