/**
 * A seeded stream of uniform numbers in [0, 1). 32-bit integer arithmetic
 * only, so a seed gives the same numbers on every platform.
 * @internal
 */
export type Uniform = () => number

/**
 * A uniform stream from a seed: a Weyl sequence (a counter stepped by an odd
 * constant) passed through an integer mixing function, which is simple and
 * good enough for initialising weights. Any finite number is a seed; its
 * integer part modulo 2^32 is used.
 * @internal
 */
export const uniform = (seed: number): Uniform => {
  let state = Number.isFinite(seed) ? Math.trunc(seed) >>> 0 : 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let h = state
    h = Math.imul(h ^ (h >>> 16), 0x21f0aaad)
    h = Math.imul(h ^ (h >>> 15), 0x735a2d97)
    h = (h ^ (h >>> 15)) >>> 0
    return h / 4294967296
  }
}

/**
 * A standard normal stream from a uniform one (Box–Muller; each pair of
 * uniforms gives two normals, used in turn).
 * @internal
 */
export const normal = (next: Uniform): (() => number) => {
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const s = spare
      spare = undefined
      return s
    }
    const r = Math.sqrt(-2 * Math.log(1 - next())) // 1 - u is in (0, 1]: log stays finite
    const theta = 2 * Math.PI * next()
    spare = r * Math.sin(theta)
    return r * Math.cos(theta)
  }
}
