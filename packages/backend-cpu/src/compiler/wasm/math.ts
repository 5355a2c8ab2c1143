import { erfSeriesCoefficients } from '@backprop/graph'
import type { Func, Local } from './func.js'
import { simd } from './opcodes.js'

// Transcendental functions on f64x2 vectors, for float32 data: each f32
// value is widened to f64, computed to about one f64 ulp, and rounded to
// f32 once, so the result is the correctly rounded f32 of the op table's
// value except in the rarest of ties. Inputs are clamped to a range where
// every f32 result is decided (exp(110) overflows f32 and 1 / exp(110) is
// below its smallest subnormal), which keeps 2^k a normal f64.

const splat64 = (x: number): Uint8Array => new Uint8Array(new Float64Array([x, x]).buffer)
const splatI64 = (x: bigint): Uint8Array => new Uint8Array(new BigInt64Array([x, x]).buffer)

/** Pushes the f64x2 constant `x` (from a local set on entry: see `Func.constant`). */
const c = (f: Func, x: number): Func => f.get(f.constant(splat64(x)))

const LOG2E = 1.4426950408889634
// ln 2 split so that k * LN2_HI is exact for |k| < 2^11 (Cody and Waite).
const LN2_HI = 6.93147180369123816490e-1
const LN2_LO = 1.90821492927058770002e-10
// 2^52 + 1023: adding an integer-valued k puts k + 1023 in the low bits.
const SHIFT = 2 ** 52 + 1023
const SHIFT_BITS = 0x4330000000000000n
/** Taylor coefficients 1/i! for i = 0..12: the error at |r| <= ln2/2 is below 2e-16. */
const coefficients = Array.from({ length: 13 }, (_, i) => 1 / Array.from({ length: i }, (_, j) => j + 1).reduce((p, v) => p * v, 1))

/**
 * `out = exp(x)` on f64x2 values, for x clamped to [-110, 110]:
 * x = k ln2 + r with |r| <= ln2/2, exp(r) by its Taylor polynomial, times
 * 2^k built from k's bits. NaN stays NaN.
 *
 * @internal
 */
export const expF64x2 = (f: Func, x: Local, out: Local): void => {
  const k = f.local('v128')
  const r = f.local('v128')
  // pmin/pmax (b < a ? b : a) keep NaN like min/max here, and are one instruction instead of a sequence.
  c(c(f.get(x), 110).simd(simd.f64x2Pmin), -110).simd(simd.f64x2Pmax).set(r)
  c(f.get(r), LOG2E).simd(simd.f64x2Mul).simd(simd.f64x2Nearest).set(k)
  c(f.get(r).get(k), LN2_HI).simd(simd.f64x2Mul).simd(simd.f64x2Sub)
  c(f.get(k), LN2_LO).simd(simd.f64x2Mul).simd(simd.f64x2Sub).set(r)
  // The polynomial by Estrin's scheme: pairs c_i + c_{i+1} r combined with
  // r^2, r^4, r^8, so the longest chain of dependent operations is about 8
  // deep instead of Horner's 24 (the loop is bound by latency, not by
  // the number of operations).
  const r2 = f.local('v128')
  const r4 = f.local('v128')
  f.get(r).get(r).simd(simd.f64x2Mul).tee(r2).get(r2).simd(simd.f64x2Mul).set(r4)
  const pair = (i: number): void => {
    c(c(f, coefficients[i + 1]!).get(r).simd(simd.f64x2Mul), coefficients[i]!).simd(simd.f64x2Add)
  }
  const quad = (i: number): void => {
    pair(i)
    pair(i + 2)
    f.get(r2).simd(simd.f64x2Mul).simd(simd.f64x2Add)
  }
  quad(0) // c0..c3
  quad(4) // c4..c7
  f.get(r4).simd(simd.f64x2Mul).simd(simd.f64x2Add)
  quad(8) // c8..c11
  c(f.get(r4), coefficients[12]!).simd(simd.f64x2Mul).simd(simd.f64x2Add)
  // r^8 = r4 * r4
  f.get(r4).get(r4).simd(simd.f64x2Mul).simd(simd.f64x2Mul).simd(simd.f64x2Add)
  // 2^k: the bits of k + SHIFT, minus SHIFT's, are k + 1023; shifted into the exponent.
  c(f.get(k), SHIFT).simd(simd.f64x2Add).get(f.constant(splatI64(SHIFT_BITS))).simd(simd.i64x2Sub)
  f.i32(52).simd(simd.i64x2Shl)
  f.simd(simd.f64x2Mul).set(out)
}

/** `out = 1 / (1 + exp(-x))` on f64x2 values. @internal */
export const sigmoidF64x2 = (f: Func, x: Local, out: Local): void => {
  const e = f.local('v128')
  f.get(x).simd(simd.f64x2Neg).set(e)
  expF64x2(f, e, e)
  c(c(f, 1), 1).get(e).simd(simd.f64x2Add).simd(simd.f64x2Div).set(out)
}

/**
 * `out = tanh(x)` on f64x2 values: `(1 - t) / (1 + t)` with `t = exp(-2|x|)`,
 * given x's sign; below |x| = 1e-4, where that loses digits, `x (1 - x^2/3)`
 * (which also keeps the sign of -0).
 *
 * @internal
 */
export const tanhF64x2 = (f: Func, x: Local, out: Local): void => {
  const t = f.local('v128')
  const big = f.local('v128')
  c(f.get(x).simd(simd.f64x2Abs), -2).simd(simd.f64x2Mul).set(t)
  expF64x2(f, t, t)
  c(c(f, 1).get(t).simd(simd.f64x2Sub), 1).get(t).simd(simd.f64x2Add).simd(simd.f64x2Div).set(big)
  // Negative x: -big (a NaN x is not negative and stays NaN).
  c(f.get(big).simd(simd.f64x2Neg).get(big).get(x), 0).simd(simd.f64x2Lt).simd(simd.v128Bitselect).set(big)
  // small = x * (1 - x^2 / 3)
  c(c(f.get(x), 1).get(x).get(x).simd(simd.f64x2Mul), 1 / 3).simd(simd.f64x2Mul).simd(simd.f64x2Sub).simd(simd.f64x2Mul)
  f.get(big)
  c(f.get(x).simd(simd.f64x2Abs), 1e-4).simd(simd.f64x2Lt)
  f.simd(simd.v128Bitselect).set(out)
}

// erf's Maclaurin coefficients, n = 0..71: at |x| = 4 the last term is below
// 1e-13, and the largest (about 1e5, at n = 16) leaves float64 rounding errors
// near 1e-11, far below a float32 ulp of erf there.
const erfCoefficients = erfSeriesCoefficients(72)

/**
 * `out = erf(x)` on f64x2 values, for float32 results: x clamped to
 * [-4, 4] (beyond, erf rounds to ±1 in float32, and erf(±4) does too), then
 * `2/sqrt(pi) x p(x^2)` with the Maclaurin series by Horner's rule. Odd and
 * exact at 0, so -0 stays -0; NaN stays NaN.
 *
 * @internal
 */
export const erfF64x2 = (f: Func, x: Local, out: Local): void => {
  const a = f.local('v128')
  const z = f.local('v128')
  c(c(f.get(x), 4).simd(simd.f64x2Pmin), -4).simd(simd.f64x2Pmax).set(a)
  f.get(a).get(a).simd(simd.f64x2Mul).set(z)
  c(f, erfCoefficients[erfCoefficients.length - 1]!)
  for (let n = erfCoefficients.length - 2; n >= 0; n--) c(f.get(z).simd(simd.f64x2Mul), erfCoefficients[n]!).simd(simd.f64x2Add)
  c(f.get(a).simd(simd.f64x2Mul), 2 / Math.sqrt(Math.PI)).simd(simd.f64x2Mul).set(out)
}

/** The f64x2 kernels by op name. @internal */
export const f64x2Kernels = { exp: expF64x2, sigmoid: sigmoidF64x2, tanh: tanhF64x2, erf: erfF64x2 } as const
