/**
 * JSON has no NaN or infinities: CONTRACT.md prints them as the strings
 * `"NaN"`, `"Infinity"` and `"-Infinity"` (plain JSON.stringify would print
 * `null`, which reads as "absent").
 */
export const toJsonLine = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))
