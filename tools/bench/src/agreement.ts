/**
 * Checks that the systems a section times computed the same thing, so that
 * a fast figure from a broken kernel or a different training step fails
 * the section instead of being printed.
 */
import type { Job } from './timing.js'

/** A job whose runs are counted and whose last result is kept, for checking after it was timed. */
export interface Tracked<J extends Job = Job> {
  /** The job, its `run` wrapped to count and keep results. */
  readonly job: J
  /** How many times `run` has completed, warm-up included. */
  readonly runs: () => number
  /** What the last completed run returned (awaited). */
  readonly last: () => unknown
}

/**
 * Wraps `job` to count its runs and keep its last result. The wrapper
 * awaits the result of every run, which the timing loop does anyway.
 *
 * @example
 * ```ts
 * const t = tracked({ run: () => 42 })
 * await t.job.run()
 * t.runs() // 1
 * t.last() // 42
 * ```
 */
export const tracked = <J extends Job>(job: J): Tracked<J> => {
  let runs = 0
  let last: unknown
  return {
    job: {
      ...job,
      run: async () => {
        last = await job.run()
        runs++
        return last
      },
    },
    runs: () => runs,
    last: () => last,
  }
}

/** Parameters by name, as flat arrays. */
export type ParamValues = Readonly<Record<string, ArrayLike<number>>>

/** A training step: the loss it returns and the parameters it leaves. */
export interface StepResult {
  readonly loss: number
  readonly params: ParamValues
}

/**
 * A training job that can show its parameters: `params` reads the values
 * the next `run` starts from.
 */
export interface TrainingJob extends Job {
  readonly params: () => ParamValues | Promise<ParamValues>
}

/**
 * Tolerances of {@link checkStep}, at the scale of float32 rounding: the
 * loss within `loss * max(1, |loss|)`, each new parameter within `update`
 * times the largest change of the step plus a few float32 units of the
 * largest parameter (a new value is rounded to float32 once more than the
 * change it adds).
 */
export const stepTolerance = { loss: 1e-4, update: 1e-3 } as const

/** Checks a loss against the reference's at the same parameters (see {@link stepTolerance}); returns what disagrees, or `undefined`. */
export const checkLoss = (loss: unknown, expected: number): string | undefined => {
  const got = Number(loss)
  return Math.abs(got - expected) <= stepTolerance.loss * Math.max(1, Math.abs(expected))
    ? undefined
    : `loss ${got}, expected ${expected} from the same parameters`
}

/**
 * Checks one more step of a timed training job against `reference` from
 * the same parameters: reads the job's parameters, runs it once, reads
 * them again, and compares the loss it returned and the parameters it left
 * with what `reference` computes from the first ones (see
 * {@link stepTolerance}). Comparing at the job's own parameters, rather
 * than replaying its whole run, keeps the check meaningful after
 * thousands of steps, where float32 trajectories drift apart.
 *
 * A step that disagrees is checked once more, on the step after it
 * (`reference(params, 1)`; the first is `reference(params, 0)`), and only
 * a disagreement that repeats fails: a relu unit whose input lies within
 * float32 rounding of 0 for some sample can land on the other side of the
 * kink in float32 than in the reference's float64, which changes that
 * unit's gradient column by the sample's whole contribution (measured:
 * about 1 step in 60 of the bench's random batches). That is rounding,
 * not a wrong kernel, and it does not repeat on the next batch; a wrong
 * kernel does. Returns what disagrees (on the first step), or `undefined`.
 */
export const checkStep = async (job: TrainingJob, reference: (params: ParamValues, later: number) => StepResult): Promise<string | undefined> => {
  const first = await checkOneStep(job, (params) => reference(params, 0))
  if (first === undefined) return undefined
  const second = await checkOneStep(job, (params) => reference(params, 1))
  return second === undefined ? undefined : first
}

/** One step of {@link checkStep}. */
const checkOneStep = async (job: TrainingJob, reference: (params: ParamValues) => StepResult): Promise<string | undefined> => {
  const before = copy(await job.params())
  const loss = Number(await job.run())
  const after = await job.params()
  const want = reference(before)
  const wrongLoss = checkLoss(loss, want.loss)
  if (wrongLoss !== undefined) return wrongLoss
  for (const [name, expected] of Object.entries(want.params)) {
    const got = after[name]
    const old = before[name]!
    if (got === undefined || got.length !== expected.length) return `parameter ${name} missing or of another size`
    let change = 0
    let size = 0
    for (let i = 0; i < expected.length; i++) {
      change = Math.max(change, Math.abs(expected[i]! - old[i]!))
      size = Math.max(size, Math.abs(old[i]!))
    }
    const bound = stepTolerance.update * change + 4 * 2 ** -24 * size
    for (let i = 0; i < expected.length; i++) {
      if (!(Math.abs(got[i]! - expected[i]!) <= bound)) return `${name}[${i}] = ${got[i]} after the step, expected ${expected[i]} within ${bound.toExponential(2)}`
    }
  }
  return undefined
}

/** A copy of parameter values that a later step cannot overwrite. */
const copy = (params: ParamValues): ParamValues => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]))

/** Indices `0 <= i < n`: all of them, or `count` spread over the array by a fixed generator. */
const sampleIndices = (n: number, count: number): number[] => {
  if (count >= n) return Array.from({ length: n }, (_, i) => i)
  let s = 12345
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return Math.floor((s / 2 ** 32) * n)
  })
}

/**
 * Checks `c` as the product of the row-major n x n matrices `a` and `b` on
 * `samples` entries, each against its dot product in float64. The bound is
 * the worst case of float32 rounding for any order of summation,
 * `n * 2^-24 * sum |a_ip b_pj|`, so a correct product of any kernel passes
 * and a wrong entry (of size about `sqrt(n)` times an element product)
 * does not. Returns what is wrong, or `undefined`.
 */
export const checkProduct = (a: Float32Array, b: Float32Array, n: number, c: unknown, samples = 256): string | undefined => {
  if (!isNumbers(c) || c.length !== n * n) return `result is not ${n * n} numbers`
  const u = 2 ** -24
  for (const at of sampleIndices(n * n, samples)) {
    const i = Math.floor(at / n)
    const j = at % n
    let dot = 0
    let magnitude = 0
    for (let p = 0; p < n; p++) {
      const term = a[i * n + p]! * b[p * n + j]!
      dot += term
      magnitude += Math.abs(term)
    }
    const bound = ((n * u) / (1 - n * u)) * magnitude
    if (!(Math.abs(c[at]! - dot) <= bound)) return `C[${i}, ${j}] = ${c[at]}, expected ${dot} within ${bound.toExponential(2)}`
  }
  return undefined
}

/**
 * Checks `y` as `f` applied entrywise to the inputs, on `samples` entries,
 * within `tolerance` (absolute). Returns what is wrong, or `undefined`.
 */
export const checkEntrywise = (
  f: (i: number) => number,
  size: number,
  y: unknown,
  tolerance: number,
  samples = 256,
): string | undefined => {
  if (!isNumbers(y) || y.length !== size) return `result is not ${size} numbers`
  for (const i of sampleIndices(size, samples)) {
    const want = f(i)
    if (!(Math.abs(y[i]! - want) <= tolerance)) return `entry ${i} = ${y[i]}, expected ${want} within ${tolerance}`
  }
  return undefined
}

const isNumbers = (x: unknown): x is ArrayLike<number> =>
  x instanceof Float32Array || x instanceof Float64Array || (Array.isArray(x) && x.every((v) => typeof v === 'number'))
