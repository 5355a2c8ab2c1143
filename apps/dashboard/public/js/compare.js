// @ts-check
/**
 * Runs side by side: a colour per run, and labels made of the settings in
 * which the compared runs differ (a legend of "lr 0.01" and "lr 0.1" says
 * more than two run ids).
 */

/** Colours that stay apart from each other on white, in the order runs are given them. */
export const palette = ['#2563eb', '#d9480f', '#1a7f37', '#9333ea', '#b45309', '#0891b2', '#be185d', '#4d7c0f', '#475569', '#dc2626']

/**
 * A setting's value as a short string.
 * @param {unknown} v
 */
const text = (v) => (v === undefined || v === null ? '–' : Array.isArray(v) ? v.join(',') : String(v))

/**
 * The names of the settings whose values differ between the runs.
 * @param {{ settings: Record<string, unknown> | null }[]} runs
 * @returns {string[]}
 */
export const differingSettings = (runs) => {
  const names = new Set(runs.flatMap((r) => Object.keys(r.settings ?? {})))
  return [...names].filter((name) => new Set(runs.map((r) => text(r.settings?.[name]))).size > 1)
}

/**
 * A label per run: the settings that differ (`lr 0.1, batch 32`), or the run's id
 * when none differ or its settings are unknown.
 * @param {{ id: string, settings: Record<string, unknown> | null }[]} runs
 * @returns {Map<string, string>}
 */
export const runLabels = (runs) => {
  const names = differingSettings(runs)
  return new Map(
    runs.map((r) => {
      const parts = r.settings === null ? [] : names.map((n) => `${n} ${text(r.settings?.[n])}`)
      return [r.id, parts.length > 0 ? parts.join(', ') : r.id]
    }),
  )
}
