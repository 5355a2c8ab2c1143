/**
 * What splitting a batch over two threads can give on this machine at
 * best: the calling thread and one worker thread each take a whole CPU
 * backend training step of half the batch, independently, meeting only at
 * the end of every step (two shared words, no messages, no sums, no
 * update to share). The workers backend does that and more (it adds the
 * two halves' gradients up and updates one set of parameters), so its
 * speed-up over the CPU backend stays below this pair's: the pair is the
 * ceiling the workers figures are read against. On a machine whose two
 * cores slow each other down (shared caches, memory, or a hypervisor's
 * siblings) the ceiling sits well below 2x.
 */
import { Worker } from 'node:worker_threads'
import type { DType } from '@backprop/graph'
import { backpropJob } from './mnist.js'
import type { Job } from './timing.js'

/** The words the two threads share: the step the worker is to take, the step it has taken, ready (1) or failed (-1). */
const GO = 0
const DONE = 1
const STATE = 2

/**
 * Starts the worker thread of the pair (`ideal-split-worker`), from built
 * JavaScript directly, or from TypeScript source through tsx's loader
 * registered in the worker's own thread.
 */
const spawn = (workerData: unknown): Worker => {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./ideal-split-worker.js', here), { workerData })
  const api = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./ideal-split-worker.ts', here).href
  const boot = `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(boot, { eval: true, workerData, execArgv: ['--conditions=@backprop/source'] })
}

/**
 * One run of the pair: each thread's loss and the milliseconds each
 * thread's step took, from its start to its end in that thread.
 *
 * @category Benchmarks
 */
export interface PairStep {
  readonly losses: readonly [mine: number, theirs: number]
  readonly ms: readonly [mine: number, theirs: number]
}

/**
 * The pair as a timed job: each run is one step of `batch / 2` samples in
 * this thread and one in the worker thread at the same time, and returns
 * a {@link PairStep}; `dispose` ends the worker. Resolves once the worker
 * has compiled its step.
 *
 * @example
 * ```ts
 * const pair = await idealSplitJob(512, 'f32')
 * const { losses, ms } = (await pair.run()) as PairStep
 * await pair.dispose()
 * ```
 * @category Benchmarks
 */
export const idealSplitJob = async (batch: number, dtype: DType): Promise<Job & { readonly dispose: () => Promise<void> }> => {
  const half = batch / 2
  if (!Number.isInteger(half)) throw new RangeError(`the ideal split needs an even batch, got ${batch}`)
  const words = new Int32Array(new SharedArrayBuffer(16))
  // The worker's loss and its step's milliseconds.
  const results = new Float64Array(new SharedArrayBuffer(16))
  const worker = spawn({ words: words.buffer, results: results.buffer, batch: half, dtype })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  const failed = new Promise<string>((resolve) => worker.once('error', (e) => resolve(e instanceof Error ? e.message : String(e))))
  // Compiles this thread's half (the bench's CPU backend step, `backpropJob`) while the worker compiles its own.
  const mine = backpropJob(half, dtype, true)
  const ready = await Promise.race([
    failed,
    (async () => {
      while (Atomics.load(words, STATE) === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      return Atomics.load(words, STATE) === 1 ? undefined : 'the worker could not compile its half'
    })(),
  ])
  if (ready !== undefined) {
    await worker.terminate()
    throw new Error(`ideal split: ${ready}`)
  }
  let step = 0
  return {
    run: async () => {
      step += 1
      Atomics.store(words, GO, step)
      Atomics.notify(words, GO)
      const started = performance.now()
      const loss = mine.run() as number
      const ms = performance.now() - started
      for (;;) {
        const done = Atomics.load(words, DONE)
        if (done === step) break
        if (done < 0) throw new Error('ideal split: the worker failed a step')
        // A worker that never answers makes the bench fail here rather than hang.
        if (Atomics.wait(words, DONE, done, 10_000) === 'timed-out') throw new Error('ideal split: the worker did not answer within 10 s')
      }
      return { losses: [loss, results[0]!], ms: [ms, results[1]!] } satisfies PairStep
    },
    dispose: async () => {
      Atomics.store(words, GO, -1)
      Atomics.notify(words, GO)
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))])
      await worker.terminate()
    },
  }
}
