/**
 * `npm run bench`: this library's CPU backend against TensorFlow.js (cpu and
 * wasm backends) and jax-js (`jit`), in one run, alternating the systems:
 *
 * - the MNIST 784-128-10 training step (relu, softmax cross-entropy, SGD,
 *   one thread) at batch 64 and 512, in float32 and float64, samples/s, with
 *   ONNX Runtime (`ort`, 1 and 2 intra-op threads) beside it, and a check that
 *   ort and cpu compute the same losses;
 * - the same step on `workers:2` against `cpu`, and `backprop train` end to
 *   end on either (whole 5-epoch runs of the built command, first epoch
 *   included);
 * - float32 matrix products at n = 128, 512, 1024 (and 512 with either
 *   factor stored transposed), GFLOPS;
 * - `sigmoid(x * w + b)` elementwise on 1M values;
 * - the time to build, differentiate and compile the training graph;
 * - the time to differentiate and simplify graphs of 25k, 50k and 100k nodes;
 * - `backprop diff "x*x" --wrt x` from the shell against `node -e 0`;
 * - loading the MNIST digits, first (parsing the package's files) and cached.
 *
 * Prints tables with this library's ratio to each peer and writes the same
 * figures as JSON (`tools/bench/results.json` unless `--out` says where).
 * `--quick` shortens every measurement (for a smoke run); `--only
 * training,matmul,elementwise,prepare,symbolic,workers,startup,data,watchers,layer-stats` runs some sections.
 * Benchmarks are not tests: nothing here fails on a slow figure. But every
 * system's result is checked after its timing (see `agreement.ts`), and one
 * that computed something else fails its section (`FAILED:` lines, exit
 * status 1): a figure is only printed for work that was done right.
 */
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { DType } from '@backprop/graph'
import { checkEntrywise, checkProduct, checkStep, type Tracked, type TrainingJob, tracked } from './agreement.js'
import { elementwiseJobs, matmulJobs, type Transposition } from './kernels.js'
import { backpropFeedJob, backpropJob, jaxJob, referenceStep, tfJob } from './mnist.js'
import { type Jax, loadJax, loadTf, type Tf } from './peers.js'
import { type Figures, renderSection, renderTargets, type Row, type Section, type Target } from './report.js'
import { prepareTimes, scaleTimes } from './symbolic.js'
import { startupJobs } from './startup.js'
import { mnistLoadTimes } from './data.js'
import { benchWorkers } from './workers.js'
import { buildCli } from './cli.js'
import { benchEndToEnd, type EndToEndResult } from './end-to-end.js'
import { compareLosses, ortStepJob } from './ort.js'
import { benchWatchers } from './watchers.js'
import { benchLayerStats } from './layer-stats.js'
import { alternate, type Job, type Schedule } from './timing.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const out = flag('--out') ?? fileURLToPath(new URL('../results.json', import.meta.url))
const only = flag('--only')?.split(',')
const wanted = (section: string): boolean => only === undefined || only.includes(section)
const schedule: Schedule = quick ? { rounds: 2, roundMs: 150, warmupMs: 150 } : { rounds: 7, roundMs: 350, warmupMs: 500 }

const log = (line: string): void => void process.stderr.write(`${line}\n`)

/** How far ort's losses may be from cpu's over the same steps, relative: float32 and float64 rounding. */
const lossTolerance: Record<'f32' | 'f64', number> = { f32: 1e-5, f64: 1e-12 }

/**
 * Times the jobs that could be made (a peer that failed to load gives
 * `null`) in alternation; returns milliseconds per run by system, and each
 * timed job for checking what it computed.
 */
const measure = async <J extends Job>(
  jobs: Readonly<Record<string, (() => J) | null>>,
): Promise<{ ms: Record<string, number | null>; timed: Record<string, Tracked<J>> }> => {
  const names = Object.keys(jobs).filter((k) => jobs[k] !== null)
  const made = names.map((k) => tracked(jobs[k]!()))
  const times = await alternate(
    made.map((t) => t.job),
    schedule,
  )
  const ms: Record<string, number | null> = Object.fromEntries(Object.keys(jobs).map((k) => [k, null]))
  names.forEach((k, i) => (ms[k] = times[i]!))
  return { ms, timed: Object.fromEntries(names.map((k, i) => [k, made[i]!])) }
}

/** One failure message per system whose result `check` rejects. */
const disagreements = (timed: Record<string, Tracked>, check: (result: unknown) => string | undefined): string[] =>
  Object.entries(timed).flatMap(([name, t]) => {
    const wrong = check(t.last())
    return wrong === undefined ? [] : [`${name}: ${wrong}`]
  })

const main = async (): Promise<void> => {
  const started = performance.now()
  const loadAverage: { start: number[]; end?: number[] } = { start: loadavg() }
  const tfLoaded = await loadTf()
  const jaxLoaded = await loadJax()
  const tf: Tf | undefined = typeof tfLoaded === 'string' ? (log(tfLoaded), undefined) : tfLoaded
  const jax: Jax | undefined = typeof jaxLoaded === 'string' ? (log(jaxLoaded), undefined) : jaxLoaded
  const sections: Section[] = []
  const json: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    quick,
    schedule,
    // Other processes on the machine slow every system: the load averages say how busy it was.
    loadAverage,
  }

  let training: { batch: number; dtype: DType; samplesPerSecond: Figures }[] = []
  const lossChecks: { dtype: DType; maxRelDiff: number }[] = []
  if (wanted('training')) {
    const rows: Row[] = []
    const failures: string[] = []
    for (const dtype of ['f32', 'f64'] as const) {
      for (const batch of [64, 512]) {
        log(`training step, batch ${batch}, ${dtype}...`)
        const { ms, timed } = await measure<TrainingJob>({
          backprop: () => backpropJob(batch, dtype, true),
          ort: () => ortStepJob(1, batch, dtype),
          'ort:2': () => ortStepJob(2, batch, dtype),
          'backprop (js)': () => backpropJob(batch, dtype, false),
          'backprop (feeding params)': () => backpropFeedJob(batch, dtype),
          'tfjs-cpu': tf && dtype === 'f32' ? () => tfJob(tf, 'cpu', batch) : null,
          'tfjs-wasm': tf && dtype === 'f32' ? () => tfJob(tf, 'wasm', batch) : null,
          'jax-js': jax ? () => jaxJob(jax, batch, dtype) : null,
        })
        // One more step of every system, peers included, against the reference interpreter from the same parameters.
        const reference = referenceStep(batch)
        for (const [name, t] of Object.entries(timed)) {
          const index = t.runs()
          const wrong = await checkStep(t.job, (params, later) => reference(params, index + later))
          if (wrong !== undefined) failures.push(`batch ${batch}, ${dtype}, ${name}: ${wrong}`)
        }
        for (const t of Object.values(timed)) await t.job.dispose?.()
        const figures = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v === null ? null : (batch * 1000) / v]))
        rows.push({ label: `batch ${batch}, ${dtype}`, figures })
        training = [...training, { batch, dtype, samplesPerSecond: figures }]
      }
    }
    log('ort against cpu: losses of the same steps...')
    for (const dtype of ['f32', 'f64'] as const) {
      const compared = await compareLosses(64, dtype)
      lossChecks.push({ dtype, ...compared })
      const tolerance = lossTolerance[dtype]
      if (!(compared.maxRelDiff <= tolerance)) {
        failures.push(`ort, 8 steps ${dtype}: losses differ from cpu's by ${compared.maxRelDiff.toExponential(1)} relative (tolerance ${tolerance})`)
      }
    }
    sections.push({
      title: 'MNIST 784-128-10 training step (relu, softmax cross-entropy, SGD; one thread; the batch fed every step)',
      unit: 'samples/s',
      higherIsBetter: true,
      ours: ['backprop', 'backprop (js)', 'backprop (feeding params)'],
      peers: ['ort', 'ort:2', 'tfjs-cpu', 'tfjs-wasm', 'jax-js'],
      rows,
      failures,
    })
    json.training = training
    json.ortLosses = lossChecks
  }

  const matmul: { n: number; layout: Transposition; gflops: Figures }[] = []
  if (wanted('matmul')) {
    const rows: Row[] = []
    const failures: string[] = []
    const cases = [
      [128, 'NN'],
      [512, 'NN'],
      [1024, 'NN'],
      [512, 'TN'],
      [512, 'NT'],
    ] as const
    for (const [n, layout] of cases) {
      const label = `n = ${n}${layout === 'TN' ? ', A^T B' : layout === 'NT' ? ', A B^T' : ''}`
      log(`matmul ${label}...`)
      const jobs = matmulJobs(n, layout)
      // The plain-JavaScript kernels take seconds per product at n = 1024.
      const { ms, timed } = await measure({
        backprop: () => jobs.backprop(true),
        'backprop (js)': n <= 512 ? () => jobs.backprop(false) : null,
        ort: () => jobs.ort(1),
        'ort:2': () => jobs.ort(2),
        'tfjs-cpu': tf && n <= 512 ? () => jobs.tf(tf, 'cpu') : null,
        'tfjs-wasm': tf ? () => jobs.tf(tf, 'wasm') : null,
        'jax-js': jax ? () => jobs.jax(jax) : null,
      })
      // Every system multiplies jobs.a by jobs.b: each product is checked on a sample of its entries.
      failures.push(...disagreements(timed, (c) => checkProduct(jobs.a, jobs.b, n, c)).map((w) => `${label}, ${w}`))
      for (const t of Object.values(timed)) await t.job.dispose?.()
      const figures = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v === null ? null : (2 * n ** 3) / (v * 1e6)]))
      rows.push({ label, figures })
      matmul.push({ n, layout, gflops: figures })
    }
    sections.push({
      title: 'float32 matrix product C = A B (A^T B, A B^T: a factor stored transposed), C read back (ours: A and B fed each run)',
      unit: 'GFLOPS',
      higherIsBetter: true,
      ours: ['backprop', 'backprop (js)'],
      peers: ['ort', 'ort:2', 'tfjs-cpu', 'tfjs-wasm', 'jax-js'],
      rows,
      failures,
    })
    json.matmul = matmul
  }

  if (wanted('elementwise')) {
    log('elementwise sigmoid(x * w + b)...')
    const size = 1_000_000
    const jobs = elementwiseJobs(size)
    const { ms, timed } = await measure({
      backprop: () => jobs.backprop(true),
      'backprop (js)': () => jobs.backprop(false),
      'tfjs-cpu': tf ? () => jobs.tf(tf, 'cpu') : null,
      'tfjs-wasm': tf ? () => jobs.tf(tf, 'wasm') : null,
      'jax-js': jax ? () => jobs.jax(jax) : null,
    })
    sections.push({
      title: 'sigmoid(x * w + b) on 1M float32 values, result read back (ours: x, w, b fed each run)',
      unit: 'ms per run',
      higherIsBetter: false,
      ours: ['backprop', 'backprop (js)'],
      peers: ['tfjs-cpu', 'tfjs-wasm', 'jax-js'],
      rows: [{ label: '1M values', figures: ms }],
      // float32 rounding of x * w + b and of the exponential, on values below 1.
      failures: disagreements(timed, (y) => checkEntrywise(jobs.expected, size, y, 1e-6)),
    })
    json.elementwise = { size, msPerRun: ms }
  }

  let prepare: ReturnType<typeof prepareTimes> | undefined
  if (wanted('prepare')) {
    log('build, differentiate and compile...')
    const rows: Row[] = []
    const all: Record<string, unknown> = {}
    for (const dtype of ['f32', 'f64'] as const) {
      for (const batch of [64, 512]) {
        const t = prepareTimes(batch, dtype, quick ? 5 : 20)
        if (dtype === 'f32' && batch === 64) prepare = t
        all[`${dtype}-${batch}`] = t
        rows.push({ label: `batch ${batch}, ${dtype}`, figures: { build: t.build, differentiate: t.differentiate, compile: t.compile, total: t.total } })
      }
    }
    sections.push({
      title: 'Build (layered), differentiate (grad + SGD updates) and compile (cpu backend, in-place updates) the training step',
      unit: 'ms, median',
      higherIsBetter: false,
      ours: ['build', 'differentiate', 'compile', 'total'],
      peers: [],
      rows,
    })
    json.prepare = all
  }

  const symbolic: ReturnType<typeof scaleTimes>[] = []
  if (wanted('symbolic')) {
    log('differentiate and simplify large graphs...')
    const rows: Row[] = []
    for (const nodes of [25_000, 50_000, 100_000]) {
      const runs = Array.from({ length: quick ? 1 : 3 }, () => scaleTimes(nodes))
      const best = runs.reduce((a, b) => (b.total < a.total ? b : a))
      symbolic.push(best)
      rows.push({
        label: `${best.nodes.toLocaleString('en-US')} nodes`,
        figures: { differentiate: best.differentiate, simplify: best.simplify, total: best.total, 'derivative graph nodes': best.gradientNodes },
      })
    }
    sections.push({
      title: 'Differentiate and simplify a deep scalar graph (v <- sin(v) * w + v), best of runs',
      unit: 'ms',
      higherIsBetter: false,
      ours: ['differentiate', 'simplify', 'total', 'derivative graph nodes'],
      peers: [],
      rows,
    })
    json.symbolic = symbolic
  }

  let workers: Awaited<ReturnType<typeof benchWorkers>> | undefined
  let endToEnd: EndToEndResult | undefined
  if (wanted('workers')) {
    log('workers:2 against cpu...')
    workers = await benchWorkers({ quick })
    sections.push({
      title: 'MNIST training step on worker threads (backend-workers) against the cpu backend, f32',
      unit: 'mixed',
      higherIsBetter: true,
      ours: ['value'],
      peers: [],
      rows: workers.rows.map((r) => ({ label: `${r.name} [${r.unit}]`, figures: { value: r.value } })),
      failures: workers.failures,
    })
    json.workers = workers
    log('backprop train end to end, workers:2 against cpu...')
    buildCli()
    const loadBefore = loadavg()
    endToEnd = benchEndToEnd({ rounds: quick ? 1 : 5 })
    const e = endToEnd
    sections.push({
      title: `backprop train, MNIST 784-128-10, batch 512, 5 epochs (the built command, a process per run; ${e.cpu.length} run${e.cpu.length === 1 ? '' : 's'} each, alternating; medians)`,
      unit: 'samples/s over all epochs, the first included',
      higherIsBetter: true,
      ours: [e.backend],
      peers: ['cpu'],
      rows: [
        { label: 'one run', figures: { [e.backend]: e.parallelSamplesPerSecond, cpu: e.cpuSamplesPerSecond } },
        { label: 'its first epoch', figures: { [e.backend]: e.firstEpoch.parallel, cpu: e.firstEpoch.cpu } },
        { label: 'its epochs 2 to 5', figures: { [e.backend]: e.laterEpochs.parallel, cpu: e.laterEpochs.cpu } },
      ],
      failures: e.failures,
    })
    sections.push({
      title: 'The same runs, wall time of the process (loading the data and compiling included)',
      unit: 'ms per run',
      higherIsBetter: false,
      ours: [e.backend],
      peers: ['cpu'],
      rows: [{ label: 'one run', figures: { [e.backend]: e.parallelWallMs, cpu: e.cpuWallMs } }],
    })
    json.endToEnd = { ...e, loadAverage: { before: loadBefore, after: loadavg() } }
  }

  let startup: { readonly ratio: number } | undefined
  if (wanted('startup')) {
    log('backprop diff against node -e 0...')
    const { ms } = await measure(startupJobs())
    const ratio = ms['backprop diff']! / ms['node -e 0']!
    startup = { ratio }
    sections.push({
      title: 'Start-up: `backprop diff "x*x" --wrt x` (the built command) against `node -e 0`, a process each run',
      unit: 'ms per process',
      higherIsBetter: false,
      ours: ['backprop diff'],
      peers: ['node -e 0'],
      rows: [{ label: 'one call', figures: ms }],
    })
    json.startup = { msPerProcess: ms, ratio }
  }

  if (wanted('data')) {
    log('MNIST load...')
    const t = mnistLoadTimes(quick ? 3 : 10)
    sections.push({
      title: 'loadMnist: the first load in this process (reads and parses the package files) and a cached one (copies rows)',
      unit: 'ms',
      higherIsBetter: false,
      ours: ['first', 'cached'],
      peers: [],
      rows: [{ label: '10,000 digits', figures: t }],
    })
    json.data = { mnistLoadMs: t }
  }

  let watchers: Awaited<ReturnType<typeof benchWatchers>> | undefined
  if (wanted('watchers')) {
    log('a dashboard run with 50 watchers against none...')
    watchers = await benchWatchers({ quick })
    sections.push({
      title: `Dashboard: one seeded MNIST run (784-128-10 relu, SGD, batch 64, ${watchers.trainSize} samples, ${watchers.epochs} epochs, a step event per step) with ${watchers.watchers} clients on /events against none`,
      unit: 'ms per run',
      higherIsBetter: false,
      ours: [`${watchers.watchers} watchers`],
      peers: ['no watcher'],
      rows: [
        { label: 'one run, wall', figures: { [`${watchers.watchers} watchers`]: watchers.watched, 'no watcher': watchers.alone } },
        { label: 'one run, CPU of the server', figures: { [`${watchers.watchers} watchers`]: watchers.watchedCpu, 'no watcher': watchers.aloneCpu } },
      ],
    })
    log(`(load average ${watchers.loadAverage.toFixed(1)} on ${cpus().length} cores at the end of the watchers section)`)
    json.watchers = watchers
  }

  let layerStats: Awaited<ReturnType<typeof benchLayerStats>> | undefined
  if (wanted('layer-stats')) {
    log('a training run with --layer-stats against one without...')
    layerStats = await benchLayerStats({ quick })
    sections.push({
      title: `train --layer-stats: one seeded MNIST run (784-128-64-10 relu, SGD, batch 64, f32, ${layerStats.trainSize} samples, ${layerStats.epochs} epochs) with per-layer statistics against without`,
      unit: 'ms per run',
      higherIsBetter: false,
      ours: ['--layer-stats'],
      peers: ['without'],
      rows: [{ label: 'one run', figures: { '--layer-stats': layerStats.with, without: layerStats.without } }],
    })
    json.layerStats = layerStats
  }

  const targets: Target[] = []
  if (layerStats) {
    targets.push({
      target: '--layer-stats costs a training run at most 5%',
      value: `${layerStats.ratio.toFixed(3)}x`,
      met: layerStats.ratio <= 1.05,
    })
  }
  if (watchers) {
    targets.push({
      target: `${watchers.watchers} watchers slow a run by at most 5%`,
      value: `${watchers.ratio.toFixed(3)}x`,
      met: watchers.ratio <= 1.05,
    })
    targets.push({
      target: `${watchers.watchers} watchers cost the server's process at most 5% more CPU in a run`,
      value: `${watchers.cpuRatio.toFixed(3)}x`,
      met: watchers.cpuRatio <= 1.05,
    })
  }
  if (startup) {
    targets.push({ target: 'backprop diff within 3x the time of node -e 0', value: `${startup.ratio.toFixed(2)}x`, met: startup.ratio <= 3 })
  }
  // What two threads gave at best in this run, beside the workers targets (see `WorkersBenchResult.idealSpread512`).
  const ceiling =
    workers?.idealRatio512 === undefined
      ? ''
      : ` (the ideal split: ${workers.idealRatio512.toFixed(2)}x; its slower half ${workers.idealSpread512!.toFixed(2)}x the mean half)`
  if (endToEnd) {
    targets.push({
      target: `backprop train --backend ${endToEnd.backend} over --backend cpu, batch 512, 5 epochs, samples/s: >= 1.6x`,
      value: `${endToEnd.ratio.toFixed(2)}x${ceiling}`,
      met: endToEnd.ratio >= 1.6,
    })
  }
  if (workers) {
    targets.push({ target: 'workers:2 over cpu, batch 512: >= 1.7x', value: `${workers.ratio512.toFixed(2)}x`, met: workers.ratio512 >= 1.7 })
    targets.push({
      target: 'workers:2 over cpu, both holding the parameters, batch 512: >= 1.7x',
      value: `${workers.heldRatio512.toFixed(2)}x${ceiling}`,
      met: workers.heldRatio512 >= 1.7,
    })
  }
  for (const t of training) {
    const cpu = t.samplesPerSecond.backprop ?? null
    const ort = t.samplesPerSecond.ort ?? null
    const goal = t.batch === 64 ? 2 : 3
    if (t.dtype === 'f32' && cpu !== null && ort !== null) {
      targets.push({ target: `ort (1 thread) over cpu, training f32, batch ${t.batch}: >= ${goal}x`, value: `${(ort / cpu).toFixed(2)}x`, met: ort >= goal * cpu })
    }
  }
  for (const c of lossChecks) {
    const tolerance = lossTolerance[c.dtype]
    targets.push({ target: `ort and cpu losses agree, 8 steps ${c.dtype} (relative ${tolerance})`, value: c.maxRelDiff.toExponential(1), met: c.maxRelDiff <= tolerance })
  }
  for (const t of training) {
    const ours = t.samplesPerSecond.backprop ?? null
    const jaxV = t.samplesPerSecond['jax-js'] ?? null
    const tfw = t.samplesPerSecond['tfjs-wasm'] ?? null
    const x = (a: number | null, b: number | null): string => (a !== null && b !== null ? `${(a / b).toFixed(2)}x` : 'n/a')
    if (t.dtype === 'f32') {
      targets.push({ target: `training f32, batch ${t.batch}: >= 1.5x jax-js`, value: x(ours, jaxV), met: ours !== null && jaxV !== null ? ours >= 1.5 * jaxV : null })
      targets.push({ target: `training f32, batch ${t.batch}: never below tfjs-wasm`, value: x(ours, tfw), met: ours !== null && tfw !== null ? ours >= tfw : null })
    } else {
      targets.push({ target: `training f64, batch ${t.batch}: >= 3x jax-js f64`, value: x(ours, jaxV), met: ours !== null && jaxV !== null ? ours >= 3 * jaxV : null })
    }
  }
  for (const m of matmul) {
    const [ours, xnnpack] = [m.gflops.backprop ?? null, m.gflops['tfjs-wasm'] ?? null]
    if (ours === null || xnnpack === null) continue
    targets.push({ target: `matmul n = ${m.n} ${m.layout}: >= tfjs-wasm (XNNPACK)`, value: `${(ours / xnnpack).toFixed(2)}x`, met: ours >= xnnpack })
  }
  if (prepare) targets.push({ target: 'build + differentiate + compile the training graph (f32, batch 64): < 50 ms', value: `${prepare.total.toFixed(1)} ms`, met: prepare.total < 50 })
  const largest = symbolic.find((s) => s.nodes >= 100_000)
  if (largest) targets.push({ target: 'differentiate + simplify 100k nodes (issue 2): < 1 s', value: `${largest.total.toFixed(0)} ms`, met: largest.total < 1000 })
  json.targets = targets
  loadAverage.end = loadavg()
  const failures = sections.flatMap((s) => s.failures ?? [])
  json.failures = failures

  const text = [...sections.map(renderSection), renderTargets(targets)].join('\n\n')
  console.log(text)
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`)
  log(`\nwrote ${out} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  if (failures.length > 0) {
    log(`${failures.length} disagreement(s) between systems: the figures above are not comparable`)
    process.exitCode = 1
  }
}

await main()
