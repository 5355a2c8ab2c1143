import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { WorkerSetup } from './protocol.js'

/**
 * The file URL of tsx's ESM registration API (`tsx/esm/api`), found from
 * this package's location, or a reason why it cannot be found.
 */
const tsxApi = (): { url: string } | { missing: string } => {
  try {
    const require = createRequire(import.meta.url)
    const manifest = require.resolve('tsx/package.json')
    const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports
    const api = exports?.['./esm/api'] as { import?: { default?: string } } | undefined
    const file = api?.import?.default
    if (typeof file !== 'string') return { missing: 'the installed tsx has no ESM register API (tsx/esm/api)' }
    return { url: pathToFileURL(join(dirname(manifest), file)).href }
  } catch (e) {
    return { missing: `tsx is not installed (${e instanceof Error ? e.message : String(e)})` }
  }
}

/**
 * Starts one worker thread running `worker.ts`/`worker.js` beside this
 * module, with `setup` as its `workerData`.
 *
 * Built JavaScript starts `worker.js` directly, with no inherited Node
 * flags, so the worker resolves the workspace packages to their built
 * `dist` like the main thread does. Running from TypeScript source (vitest,
 * or tsx with the `@backprop/source` condition), this module's URL ends in
 * `.ts`: the worker then starts from a small script that registers tsx's
 * loader in the worker's own thread and then imports `worker.ts`, with the
 * `@backprop/source` condition so that the packages the worker imports are
 * their sources too. (Passing `--import tsx` in `execArgv` is not enough on
 * Node 20: the hooks it registers come too late for the worker's entry.)
 * Where tsx cannot be found, this throws an Error saying so.
 *
 * @internal
 */
export const spawnWorker = (setup: WorkerSetup): Worker => {
  const here = import.meta.url
  if (!here.endsWith('.ts')) {
    return new Worker(new URL('./worker.js', here), { workerData: setup, execArgv: [] })
  }
  const tsx = tsxApi()
  if ('missing' in tsx) throw new Error(`cannot start a worker from TypeScript source: ${tsx.missing}`)
  const entry = new URL('./worker.ts', here).href
  const bootstrap = [
    `import(${JSON.stringify(tsx.url)})`,
    `.then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`,
  ].join('')
  return new Worker(bootstrap, { eval: true, workerData: setup, execArgv: ['--conditions=@backprop/source'] })
}
