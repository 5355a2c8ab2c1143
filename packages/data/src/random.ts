// Seeded randomness. Everything here uses 32-bit integer arithmetic only (`Math.imul`,
// shifts), so a seed gives the same numbers on every platform and in every run.
// `Math.random` is never used by this package.

/**
 * A source of uniform random numbers in `[0, 1)`, as returned by {@link rng}.
 *
 * @category Random
 */
export type Rng = () => number

const TWO_POW_32 = 4294967296

/**
 * Reduces any number to a 32-bit unsigned seed. Integers up to 2^53 in magnitude keep
 * all their bits (the high word is mixed into the low one); fractions are truncated
 * toward zero; `NaN` and infinities count as 0.
 *
 * @category Random
 */
export const seed32 = (seed: number): number => {
  if (!Number.isFinite(seed)) return 0
  const s = Math.trunc(seed)
  const lo = s >>> 0
  const hi = Math.floor(s / TWO_POW_32) >>> 0
  return hi === 0 ? lo : (lo ^ fmix32(hi + 0x9e3779b9)) >>> 0
}

/** MurmurHash3's 32-bit finaliser: a bijection on uint32 with good avalanche. */
const fmix32 = (h0: number): number => {
  let h = h0 | 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * Derives one seed from a seed and any number of salts, for independent streams:
 * `mixSeed(seed, epoch)` gives each epoch its own shuffle, and different salts give
 * unrelated seeds.
 *
 * @example
 * ```ts
 * const perEpoch = mixSeed(42, 3)   // the seed of epoch 3 in a run with seed 42
 * ```
 *
 * @category Random
 */
export const mixSeed = (seed: number, ...salts: readonly number[]): number => {
  let h = fmix32(seed32(seed) ^ 0x2545f491)
  for (const salt of salts) h = fmix32((h ^ Math.imul(seed32(salt) + 0x6d2b79f5, 0x9e3779b1)) >>> 0)
  return h
}

/**
 * A seeded pseudo-random generator (mulberry32): returns a function that yields
 * uniform numbers in `[0, 1)` with 32 bits of randomness each. The same seed gives
 * the same sequence in every run and on every platform.
 *
 * @example
 * ```ts
 * const next = rng(42)
 * next() // always the same first number for seed 42
 * ```
 *
 * @category Random
 */
export const rng = (seed: number): Rng => {
  let state = seed32(seed)
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32
  }
}

/**
 * A uniform random integer in `[0, n)` drawn from `next`.
 *
 * @category Random
 */
export const randomInt = (next: Rng, n: number): number => Math.floor(next() * n)

/**
 * A seeded random permutation of `0 .. n-1` (Fisher–Yates). The same `(n, seed)`
 * always gives the same permutation.
 *
 * @example
 * ```ts
 * permutation(5, 1) // e.g. Uint32Array [3, 0, 4, 1, 2], the same every run
 * ```
 *
 * @category Random
 */
export const permutation = (n: number, seed: number): Uint32Array => {
  const p = new Uint32Array(n)
  for (let i = 0; i < n; i++) p[i] = i
  const next = rng(seed)
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(next, i + 1)
    const tmp = p[i]!
    p[i] = p[j]!
    p[j] = tmp
  }
  return p
}
