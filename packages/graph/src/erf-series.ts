/**
 * The first `n` coefficients `(-1)^k / (k! (2k + 1))` of erf's Maclaurin
 * series in `x^2`: `erf(x) = 2/sqrt(pi) x (c0 + c1 x^2 + c2 x^4 + ...)`. The
 * one generator of them: the op table's float64 erf, the CPU backend's
 * WebAssembly kernel and the ONNX lowering each take as many terms as their
 * range needs, and agree on every one of them bit for bit.
 *
 * @example
 * ```ts
 * erfSeriesCoefficients(3) // [1, -1/3, 1/10]
 * ```
 * @category Ops
 */
export const erfSeriesCoefficients = (n: number): number[] => {
  const out: number[] = []
  let factorial = 1
  for (let k = 0; k < n; k++) {
    if (k >= 2) factorial *= k
    out.push((k % 2 === 0 ? 1 : -1) / (factorial * (2 * k + 1)))
  }
  return out
}
