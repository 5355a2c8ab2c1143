// How much watchers cost a run on the dashboard: the same seeded run, the
// MNIST recipe a user starts from the page (784-128-10 relu, softmax cross
// entropy, SGD lr 0.1, batch 64, 2 epochs, seed 1), started through the
// dashboard with no client and with 50 clients following /events (opened
// before the run starts, from another process, as browsers would),
// alternating, in one process. Both sides must end with the same final
// loss. (A 150-epoch iris run of ~0.2 s CPU showed 1.25-1.3x: its 150 epoch
// events are never thinned and each one reaches every client, a cost per
// event and client that a run of a few epochs barely has.) Two figures: the
// run's wall time, and the CPU time of this process during the run (what
// the watchers cost the server itself, which a busy shared machine blurs
// far less than wall time: the clients run in a process of their own).
import { type ChildProcess, spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { startDashboard } from '@backprop/dashboard'
import type { TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { defer, finalize, tap } from 'rxjs'
import { seededMnistRun } from './seeded-mnist-run.js'

/** A process holding `count` event-stream connections to `url`; it prints `ready` once all are open. */
const watcherProcess = (url: string, count: number): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const script = `
      const http = require('node:http')
      let open = 0
      for (let i = 0; i < ${count}; i++) {
        http.get(${JSON.stringify(`${url}events`)}, { headers: { accept: 'text/event-stream' } }, (res) => {
          res.on('data', () => {})
          if (++open === ${count}) console.log('ready')
        })
      }`
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child))
    child.on('error', reject)
  })

// The dashboard's defaults for what the recipe leaves out (f64, mean reduction).
const spec = { sizes: [784, 128, 10], activations: ['relu', 'softmax'], loss: 'softmax-cross-entropy', dtype: 'f64' } as const
const epochs = 2

/** One run through a fresh dashboard with `watchers` clients: its wall and CPU time in ms and final train loss. */
const timedRun = async (watchers: number, trainSize: number): Promise<{ ms: number; cpuMs: number; trainLoss: number }> => {
  const run = seededMnistRun(spec, { trainSize, epochs })
  let finished: (loss: number) => void = () => undefined
  const ended = new Promise<number>((resolve) => (finished = resolve))
  let last: TrainEvent | undefined
  const dashboard = await startDashboard({
    port: 0,
    startRun: () =>
      E.right(
        defer(run).pipe(
          tap((e) => (last = e)),
          finalize(() => finished(last?.type === 'done' ? last.trainLoss : NaN)),
        ),
      ),
  })
  const child = watchers > 0 ? await watcherProcess(dashboard.url, watchers) : undefined
  try {
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    const res = await fetch(`${dashboard.url}start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    if (res.status !== 202) throw new Error(`start answered ${res.status}`)
    const trainLoss = await ended
    const cpu = process.cpuUsage(cpuBefore)
    return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, trainLoss }
  } finally {
    child?.kill()
    await dashboard.close()
  }
}

/**
 * Times the run with no watcher and with `watchers` watchers, alternating
 * `rounds` times. The ratios are medians of each round's ratio: the two
 * runs of a round are next to each other in time, so a machine whose load
 * changes from round to round blurs them less than a ratio of medians.
 */
export const benchWatchers = async ({ quick, watchers = 50 }: { readonly quick: boolean; readonly watchers?: number }) => {
  const rounds = quick ? 2 : 9
  // The MNIST package's default training split, as the dashboard loads it (1-2 s a run), unless quick.
  const trainSize = quick ? 1000 : 8000
  const times: Record<'alone' | 'watched', { ms: number[]; cpuMs: number[] }> = {
    alone: { ms: [], cpuMs: [] },
    watched: { ms: [], cpuMs: [] },
  }
  const losses = new Set<number>()
  await timedRun(0, 256) // warm-up: the first run compiles and loads
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? (['alone', 'watched'] as const) : (['watched', 'alone'] as const)) {
      const run = await timedRun(mode === 'alone' ? 0 : watchers, trainSize)
      times[mode].ms.push(run.ms)
      times[mode].cpuMs.push(run.cpuMs)
      losses.add(run.trainLoss)
    }
  }
  // Same seed, same steps: a watcher that changed the run would show here.
  if (losses.size !== 1) throw new Error(`the runs ended with different losses: ${[...losses].join(', ')}`)
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const alone = median(times.alone.ms)
  const watched = median(times.watched.ms)
  const aloneCpu = median(times.alone.cpuMs)
  const watchedCpu = median(times.watched.cpuMs)
  const roundRatio = (of: 'ms' | 'cpuMs') => median(times.watched[of].map((t, r) => t / times.alone[of][r]!))
  return {
    watchers,
    epochs,
    trainSize,
    steps: epochs * Math.ceil(trainSize / 64),
    alone,
    watched,
    ratio: roundRatio('ms'),
    aloneCpu,
    watchedCpu,
    cpuRatio: roundRatio('cpuMs'),
    loadAverage: loadavg()[0]!,
  }
}
