/**
 * Something to time: `run` does one unit of work (one training step, one
 * product), synchronously or not; `enter` (when given) runs before each
 * timed stretch, untimed, e.g. to switch TensorFlow.js's backend.
 */
export interface Job {
  readonly run: () => unknown
  readonly enter?: () => Promise<void>
  /** Releases what the job holds (a native session), after timing. */
  readonly dispose?: () => Promise<void>
}

/** Runs `job` repeatedly for at least `ms` milliseconds and `minRuns` runs; returns milliseconds per run. */
export const timeJob = async (job: Job, ms: number, minRuns = 3): Promise<number> => {
  await job.enter?.()
  let runs = 0
  const start = performance.now()
  let elapsed = 0
  while (runs < minRuns || elapsed < ms) {
    await job.run()
    runs++
    elapsed = performance.now() - start
  }
  return elapsed / runs
}

/** The median of some numbers. */
export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** How long each round and the warm-up take, and how many rounds are run. */
export interface Schedule {
  readonly rounds: number
  readonly roundMs: number
  readonly warmupMs: number
}

/**
 * Times several jobs on the same work, alternating between them: a warm-up
 * of each (so every JIT has compiled its code), then `rounds` rounds in
 * which each job runs for `roundMs`, in an order that rotates every round,
 * so that a noisy neighbour on a shared machine slows all of them alike.
 * Returns each job's median milliseconds per run.
 */
export const alternate = async (jobs: readonly Job[], schedule: Schedule): Promise<number[]> => {
  for (const job of jobs) await timeJob(job, schedule.warmupMs, 2)
  const samples: number[][] = jobs.map(() => [])
  for (let round = 0; round < schedule.rounds; round++) {
    for (let k = 0; k < jobs.length; k++) {
      const i = (k + round) % jobs.length
      samples[i]!.push(await timeJob(jobs[i]!, schedule.roundMs))
    }
  }
  return samples.map(median)
}

/** Milliseconds per call of a synchronous function, median of `reps` calls. */
export const timeOnce = (fn: () => unknown, reps: number): number => {
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    fn()
    times.push(performance.now() - start)
  }
  return median(times)
}
