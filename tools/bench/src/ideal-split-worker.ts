// The worker thread of the ideal split (see `ideal-split.ts`): takes a step of its half of the batch
// whenever the calling thread asks, and says when it has, through the shared words.
import { workerData } from 'node:worker_threads'
import type { DType } from '@backprop/graph'
import { backpropJob } from './mnist.js'

const { words: wordBuffer, results: resultBuffer, batch, dtype } = workerData as { words: SharedArrayBuffer; results: SharedArrayBuffer; batch: number; dtype: DType }
const words = new Int32Array(wordBuffer)
// The step's loss and its milliseconds.
const results = new Float64Array(resultBuffer)
const [GO, DONE, STATE] = [0, 1, 2]

let half: ReturnType<typeof backpropJob> | undefined
try {
  half = backpropJob(batch, dtype, true)
  Atomics.store(words, STATE, 1)
} catch {
  Atomics.store(words, STATE, -1)
}
Atomics.notify(words, STATE)
let seen = 0
while (half !== undefined) {
  Atomics.wait(words, GO, seen)
  const go = Atomics.load(words, GO)
  if (go < 0) break
  if (go === seen) continue
  seen = go
  try {
    const started = performance.now()
    results[0] = half.run() as number
    results[1] = performance.now() - started
    Atomics.store(words, DONE, go)
  } catch {
    Atomics.store(words, DONE, -1)
  }
  Atomics.notify(words, DONE)
}
