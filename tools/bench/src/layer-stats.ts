// What `train --layer-stats` costs a training run: the same seeded MNIST run
// (784-128-64-10, relu, SGD, batch 64, f32, cpu backend) with and without
// per-layer statistics, alternating, in one process. The statistics are
// extra outputs of the compiled step (a few sums of squares per layer), so
// both runs must take the same steps and end with the same loss.
import type { DoneEvent } from '@backprop/trainer'
import { lastValueFrom, tap } from 'rxjs'
import { seededMnistRun } from './seeded-mnist-run.js'

const spec = { sizes: [784, 128, 64, 10], activations: ['relu', 'relu', 'softmax'], loss: 'softmax-cross-entropy', dtype: 'f32' } as const

/** One run: its wall time in ms, its final train loss, and how many epoch events carried `layers`. */
const timedRun = async (layerStats: boolean, trainSize: number): Promise<{ ms: number; trainLoss: number; withLayers: number }> => {
  const run = seededMnistRun(spec, { trainSize, testSize: 500, epochs: 2, layerStats })
  let withLayers = 0
  const started = performance.now()
  const events = run()
  const last = await lastValueFrom(events.pipe(tap((e) => e.type === 'epoch' && e.layers !== undefined && withLayers++)))
  if (last.type !== 'done') throw new Error(`the run ended with ${last.type}`)
  const done: DoneEvent = last
  return { ms: performance.now() - started, trainLoss: done.trainLoss, withLayers }
}

/**
 * Times the run without and with `layerStats`, alternating `rounds` times;
 * the ratio of the medians is what the statistics cost.
 */
export const benchLayerStats = async ({ quick }: { readonly quick: boolean }) => {
  const rounds = quick ? 2 : 5
  const trainSize = quick ? 1000 : 4000
  const times: Record<'without' | 'with', number[]> = { without: [], with: [] }
  const losses = new Set<number>()
  await timedRun(true, 256) // warm-up: the first run compiles and loads
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
      const run = await timedRun(mode === 'with', trainSize)
      // Both epochs carry the statistics when asked for, none otherwise.
      if (run.withLayers !== (mode === 'with' ? 2 : 0)) throw new Error(`${run.withLayers} epoch events carried layers (${mode} layer stats)`)
      times[mode].push(run.ms)
      losses.add(run.trainLoss)
    }
  }
  // The statistics are outputs beside the step: they must not change what it computes.
  if (losses.size !== 1) throw new Error(`the runs ended with different losses: ${[...losses].join(', ')}`)
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const without = median(times.without)
  const withStats = median(times.with)
  return { trainSize, epochs: 2, without, with: withStats, ratio: withStats / without }
}
