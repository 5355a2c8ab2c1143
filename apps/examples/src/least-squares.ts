// The closed-form answer the linear-regression example is checked against:
// the normal equations X^T X w = X^T t, solved by Gaussian elimination.

/**
 * Solves the square system `A w = b` by Gaussian elimination with partial
 * pivoting (the largest remaining entry of each column is the pivot, which
 * keeps the elimination stable). Returns `undefined` when `A` is singular to
 * working precision: a pivot below `1e-12` times the largest entry of `A`.
 * Never writes into `A` or `b`.
 *
 * @example
 * ```ts
 * solveLinear([[2, 1], [1, 3]], [3, 5]) // [0.8, 1.4]
 * ```
 * @category Least squares
 */
export const solveLinear = (A: readonly (readonly number[])[], b: readonly number[]): number[] | undefined => {
  const n = b.length
  if (A.length !== n || A.some((row) => row.length !== n)) return undefined
  // The augmented matrix [A | b], one copied row per equation.
  const rows = A.map((row, i) => [...row, b[i]!])
  const scale = Math.max(0, ...A.flatMap((row) => row.map(Math.abs)))
  const tiny = 1e-12 * scale
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let r = col + 1; r < n; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r
    if (!(Math.abs(rows[pivot]![col]!) > tiny)) return undefined
    ;[rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!]
    const p = rows[col]!
    for (let r = col + 1; r < n; r++) {
      const row = rows[r]!
      const f = row[col]! / p[col]!
      if (f === 0) continue
      for (let k = col; k <= n; k++) row[k] = row[k]! - f * p[k]!
    }
  }
  // Back substitution on the upper-triangular system.
  const w = new Array<number>(n).fill(0)
  for (let r = n - 1; r >= 0; r--) {
    const row = rows[r]!
    let s = row[n]!
    for (let k = r + 1; k < n; k++) s -= row[k]! * w[k]!
    w[r] = s / row[r]!
  }
  return w
}

/**
 * The least-squares weights `w*` minimising `1/2 sum_m (w^T x^(m) - t^(m))^2`
 * for M samples of D inputs (`x` row-major, `M * D` numbers) and one target
 * each: the solution of the normal equations `X^T X w = X^T t`, or
 * `undefined` when `X^T X` is singular (fewer independent samples than
 * weights).
 *
 * @example
 * ```ts
 * // t = 1 + 2 x exactly, with a bias input of 1:
 * leastSquares(Float64Array.of(1, 0, 1, 1, 1, 2), Float64Array.of(1, 3, 5), 3, 2) // [1, 2]
 * ```
 * @category Least squares
 */
export const leastSquares = (
  x: ArrayLike<number>,
  t: ArrayLike<number>,
  M: number,
  D: number,
): number[] | undefined => {
  const XtX = Array.from({ length: D }, () => new Array<number>(D).fill(0))
  const Xtt = new Array<number>(D).fill(0)
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < D; i++) {
      const xi = x[m * D + i]!
      Xtt[i] = Xtt[i]! + xi * t[m]!
      for (let j = 0; j < D; j++) XtX[i]![j] = XtX[i]![j]! + xi * x[m * D + j]!
    }
  }
  return solveLinear(XtX, Xtt)
}

/**
 * The lecture's error of a linear neuron, `E(w) = 1/2 sum_m (w^T x^(m) - t^(m))^2`,
 * for M samples of `w.length` inputs (row-major) and one target each.
 *
 * @category Least squares
 */
export const linearError = (x: ArrayLike<number>, t: ArrayLike<number>, w: readonly number[]): number => {
  const D = w.length
  const M = t.length
  let sum = 0
  for (let m = 0; m < M; m++) {
    let y = 0
    for (let i = 0; i < D; i++) y += w[i]! * x[m * D + i]!
    sum += (y - t[m]!) ** 2
  }
  return sum / 2
}
