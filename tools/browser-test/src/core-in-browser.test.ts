import { join, relative } from 'node:path'
import { rng } from '@backprop/data'
import { build, type BuildOptions } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from './chromium.js'
import type { CoreApi, Derivatives, MatmulInput, MatmulResult, Params, TrainInput, TrainResult } from './page/core-api.js'

/**
 * The core packages in a browser: graph, diff, backend and backend-cpu (its
 * WebAssembly kernels included) bundled for the browser platform into one
 * page, which headless Chromium runs. Every value the page computes is
 * checked here against a closed form.
 */
const root = join(import.meta.dirname, '..', '..', '..')
const pageEntry = join(import.meta.dirname, 'page', 'core-page.ts')
const origin = 'http://backprop.test'

/**
 * esbuild for the browser platform, where importing a Node built-in
 * (`node:fs`, `fs`, `worker_threads`, ...) is an error: nothing polyfills
 * them. Workspace packages resolve to their sources.
 */
const bundleForBrowser = (options: Pick<BuildOptions, 'entryPoints' | 'stdin'>) =>
  build({
    ...options,
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    conditions: ['@backprop/source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })

/** What the bundle may hold: the four packages' library sources and their two npm dependencies. */
const allowedInputs = [
  'packages/graph/src/',
  'packages/diff/src/',
  'packages/backend/src/',
  'packages/backend-cpu/src/',
  'node_modules/fp-ts/',
  'tools/browser-test/src/page/',
]

/** `got` equals `want` up to float32 rounding accumulated over short sums. */
const expectNear = (got: number, want: number, what: string) => {
  if (!(Math.abs(got - want) <= 2e-4 * Math.max(1, Math.abs(want)))) throw new Error(`${what}: got ${got}, want ${want}`)
}

const expectAllNear = (got: readonly number[], want: readonly number[], what: string) => {
  expect(got).toHaveLength(want.length)
  want.forEach((w, i) => expectNear(got[i]!, w, `${what}[${i}]`))
}

/** f(x, y) = x^2 y + sin(x y) and its derivatives, by hand. */
const closedForms = (x: number, y: number) => {
  const s = Math.sin(x * y)
  const c = Math.cos(x * y)
  return {
    value: x * x * y + s,
    gradient: [2 * x * y + y * c, x * x + x * c],
    hessian: [
      [2 * y - y * y * s, 2 * x + c - x * y * s],
      [2 * x + c - x * y * s, -x * x * s],
    ],
  }
}

/** Row-major product of a [m, k] and b [k, n]. */
const product = (a: readonly number[], b: readonly number[], m: number, k: number, n: number): number[] => {
  const out = new Array<number>(m * n).fill(0)
  for (let i = 0; i < m; i++) for (let l = 0; l < k; l++) for (let j = 0; j < n; j++) out[i * n + j]! += a[i * k + l]! * b[l * n + j]!
  return out
}

const transpose = (a: readonly number[], rows: number, cols: number): number[] =>
  Array.from({ length: rows * cols }, (_, i) => a[(i % rows) * cols + Math.floor(i / rows)]!)

const columnSums = (a: readonly number[], rows: number, cols: number): number[] =>
  Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => a[i * cols + j]!).reduce((s, v) => s + v, 0))

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))

/**
 * The loss and gradients of the page's network by hand: a = x W1 + b1, h = tanh(a),
 * z = h W2 + b2, E = mean(softplus(z) - t z); dE/dz = (sigmoid(z) - t) / rows.
 */
const networkByHand = ({ x, t, hidden }: TrainInput, p: Params): { loss: number; gradients: Params } => {
  const rows = x.length
  const inputs = x[0]!.length
  const xs = x.flat()
  const h = product(xs, p.W1, rows, inputs, hidden).map((v, i) => Math.tanh(v + p.b1[i % hidden]!))
  const z = product(h, p.W2, rows, hidden, 1).map((v) => v + p.b2[0]!)
  const loss = z.reduce((s, zi, i) => s + Math.log1p(Math.exp(zi)) - t[i]! * zi, 0) / rows
  const dz = z.map((zi, i) => (sigmoid(zi) - t[i]!) / rows)
  const da = product(dz, p.W2, rows, 1, hidden).map((v, i) => v * (1 - h[i]! ** 2))
  return {
    loss,
    gradients: {
      W1: product(transpose(xs, rows, inputs), da, inputs, rows, hidden),
      b1: columnSums(da, rows, hidden),
      W2: product(transpose(h, rows, hidden), dz, hidden, rows, 1),
      b2: [dz.reduce((s, v) => s + v, 0)],
    },
  }
}

const uniform = (next: () => number, n: number, scale: number) => Array.from({ length: n }, () => (next() * 2 - 1) * scale)

/** Calls one of the page's functions; a throw in the page rejects with its message. */
const inPage = <K extends keyof CoreApi>(page: Page, name: K, arg: Parameters<CoreApi[K]>[0]): Promise<ReturnType<CoreApi[K]>> =>
  page.evaluate(
    ([n, a]) => {
      const api = (globalThis as unknown as { backpropCore: Record<string, (x: unknown) => unknown> }).backpropCore
      return api[n]!(a)
    },
    [name, arg] as const,
  ) as Promise<ReturnType<CoreApi[K]>>

describe('the core in a browser', () => {
  it('cannot bundle a Node built-in for the browser platform: the build fails and names it', async () => {
    for (const builtin of ['node:fs', 'worker_threads']) {
      const stdin = { contents: `import * as m from '${builtin}'; console.log(m)`, resolveDir: root, loader: 'ts' as const }
      await expect(bundleForBrowser({ stdin })).rejects.toThrow(builtin)
    }
  })

  let inputs: string[] = []
  let browser: Browser | undefined
  let page: Page
  const problems: string[] = []

  beforeAll(async () => {
    const bundled = await bundleForBrowser({ entryPoints: [pageEntry] })
    inputs = Object.keys(bundled.metafile.inputs).map((p) => relative(root, join(root, p)).split('\\').join('/'))
    const script = bundled.outputFiles[0]!.text

    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(60_000)
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    await page.route(`${origin}/**`, (route) => {
      const path = new URL(route.request().url()).pathname
      if (path === '/core.js') return route.fulfill({ contentType: 'text/javascript', body: script })
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>core</title><link rel="icon" href="data:,"><script type="module" src="/core.js"></script>' })
      return route.fulfill({ status: 404, body: '' })
    })
    // An error while the script loads fails here with its message, instead of a wait that times out.
    const loadError = new Promise<never>((_, reject) => page.once('pageerror', (e) => reject(new Error(`the page failed: ${e.message}`))))
    loadError.catch(() => undefined) // handled by the race below, which may start after it rejects
    await page.goto(`${origin}/`)
    await Promise.race([page.waitForFunction(() => 'backpropCore' in globalThis), loadError])
  })

  afterAll(async () => {
    await browser?.close()
  })

  afterEach(() => {
    expect(problems).toEqual([])
  })

  it('bundles the sources of graph, diff, backend and backend-cpu (with its WebAssembly kernels) and fp-ts, nothing else', () => {
    const strangers = inputs.filter((p) => !allowedInputs.some((a) => p.startsWith(a)) || p.includes('/testing/'))
    expect(strangers).toEqual([])
    for (const dir of allowedInputs) expect(inputs.some((p) => p.startsWith(dir))).toBe(true)
    expect(inputs.some((p) => p.startsWith('packages/backend-cpu/src/compiler/wasm/'))).toBe(true)
  })

  it('parses f(x, y), differentiates it twice and evaluates value, gradient and Hessian', async () => {
    for (const [x, y] of [
      [0.7, -1.3],
      [-2, 0.25],
    ] as const) {
      const got: Derivatives = await inPage(page, 'derivatives', { x, y })
      const want = closedForms(x, y)
      expectNear(got.value, want.value, 'f')
      expectAllNear(got.gradient, want.gradient, 'gradient')
      got.hessian.forEach((row, i) => expectAllNear(row, want.hessian[i]!, `hessian[${i}]`))
      // The printed derivatives parse again and have the same values.
      expectAllNear(
        got.printed.map((p) => p.value),
        want.gradient,
        'printed gradient',
      )
      expect(got.printed[0]!.text).toContain('cos(')
    }
  })

  it('runs a matrix product on the WebAssembly kernels and its gradient matches the closed form', async () => {
    const [m, k, n] = [64, 96, 48]
    const next = rng(7)
    const input: MatmulInput = { m, k, n, a: uniform(next, m * k, 1), b: uniform(next, k * n, 0.2) }
    const got: MatmulResult = await inPage(page, 'matmul', input)

    // E = sum(tanh(A B)), dE/dB = A^T (1 - tanh(A B)^2)
    const tanhP = product(input.a, input.b, m, k, n).map(Math.tanh)
    const value = tanhP.reduce((s, v) => s + v, 0)
    const gradB = product(transpose(input.a, m, k), tanhP.map((v) => 1 - v * v), k, m, n)
    for (const [name, run] of Object.entries(got)) {
      expectNear(run.value, value, `${name} E`)
      expectAllNear(run.gradB, gradB, `${name} dE/dB`)
    }
    expect(got.auto.compiled.target).toBe('wasm')
    expect(got.auto.compiled.moduleBytes).toBeGreaterThan(0)
    expect(got.auto.compiled.counts['matmul']).toBeGreaterThanOrEqual(2)
    expect(got.js.compiled.target).toBe('js')
  })

  it('trains a 2-8-1 network on XOR with plain SGD written in the page', async () => {
    const hidden = 8
    const next = rng(3)
    const input: TrainInput = {
      x: [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
      t: [0, 1, 1, 0],
      hidden,
      init: { W1: uniform(next, 2 * hidden, 1), b1: uniform(next, hidden, 0.5), W2: uniform(next, hidden, 1), b2: [0] },
      lr: 1,
      steps: 600,
    }
    const got: TrainResult = await inPage(page, 'train', input)

    expect(got.compiled.target).toBe('wasm')
    const byHand = networkByHand(input, input.init)
    expectNear(got.losses[0]!, byHand.loss, 'initial loss')
    for (const p of ['W1', 'b1', 'W2', 'b2'] as const) expectAllNear(got.firstGradients[p], byHand.gradients[p], `dE/d${p}`)
    expect(got.losses).toHaveLength(input.steps + 1)
    expect(got.losses.at(-1)!).toBeLessThan(0.05)
    expect(got.outputs.map((y) => (y > 0.5 ? 1 : 0))).toEqual(input.t)
  })
})
