import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { launchChromium } from '@backprop/browser-test/chromium'
import type { Browser } from 'playwright-core'
import { concatMap, finalize, from, interval, take } from 'rxjs'
import type { DashboardOptions } from './options.js'
import { startDashboard } from './server.js'
import { openRun } from './run-log/run-writer.js'
import { doneEvent, epochEvent, runEvents, stepEvent } from './testing/events.js'
import { postJson } from './testing/http-client.js'

/**
 * End to end: the real server and page in headless Chromium (Debian's
 * `chromium` package, which CI installs), driven like a person would.
 */
/** Where the screenshot goes: the workspace's test-results folder, which git ignores and CI keeps. */
const screenshot = join(import.meta.dirname, '..', '..', '..', 'test-results', 'apps', 'dashboard', 'dashboard-e2e.png')

/** A run that never ends by itself: a step every 20 ms, an epoch every 10 steps, until it is unsubscribed. */
const endlessRun = () => {
  let stopped = false
  const run$ = interval(20).pipe(
    concatMap((i) => {
      const step = i + 1
      const epoch = Math.ceil(step / 10)
      const events: TrainEvent[] = [stepEvent(step, epoch, 2 / Math.sqrt(step) + 0.05 * Math.sin(step))]
      if (step % 10 === 0) events.push(epochEvent(epoch, step))
      return from(events)
    }),
    finalize(() => (stopped = true)),
  )
  return { startRun: () => E.right(run$), stopped: () => stopped }
}

/** A small graph drawn like `backprop graph` draws one, with something active in it that the page must not keep. */
const graphSvg = [
  '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120">',
  '<g class="graph"><title>model</title>',
  '<g class="node forward"><ellipse cx="60" cy="60" rx="50" ry="25" fill="#dbeafe" stroke="#1d4ed8"/>',
  '<text x="60" y="64" text-anchor="middle">W1</text></g>',
  '<g class="node derivative" onclick="alert(1)"><rect x="130" y="35" width="100" height="50" fill="#fde68a" stroke="#b45309"/>',
  '<text x="180" y="64" text-anchor="middle">dE/dW1</text></g>',
  '<script>document.title = "pwned"</script>',
  '</g></svg>',
].join('')

/**
 * A `networkAt` that draws a small network labelled with its sample, as the
 * command line's draws one with values and adjoints; it records what it was
 * asked, and knows 10 test samples.
 */
const fakeNetwork = () => {
  const calls: { sample: number; params: unknown }[] = []
  const networkAt: NonNullable<DashboardOptions['networkAt']> = async (_settings, params, sample) => {
    calls.push({ sample, params })
    if (sample >= 10) return E.left(`the test set has 10 samples: choose one from 0 to 9`)
    const svg = [
      '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120"><g class="graph">',
      `<g class="node"><ellipse cx="80" cy="60" rx="70" ry="40" fill="#dbeafe"/><text x="80" y="55" text-anchor="middle">a1 = [${sample}, 0.5]</text>`,
      '<text x="80" y="75" text-anchor="middle">∂E/∂v = [0.25, -0.125]</text></g>',
      '<g class="node"><ellipse cx="230" cy="60" rx="60" ry="30" fill="#dbeafe"/><text x="230" y="64" text-anchor="middle">E = 0.25</text></g>',
      '</g></svg>',
    ].join('')
    return E.right({ sample, target: [0, 1], output: [0.22, 0.78], loss: 0.25, svg, nodes: [] })
  }
  return { networkAt, calls }
}

describe('the dashboard in a browser', () => {
  it('starts a run, shows its loss changing and its graph, stops it, and saves a screenshot', { timeout: 120_000 }, async () => {
    const run = endlessRun()
    const network = fakeNetwork()
    const dashboard = await startDashboard({
      port: 0,
      startRun: run.startRun,
      graphSvg: async () => E.right(graphSvg),
      networkAt: network.networkAt,
    })
    let browser: Browser | undefined
    try {
      browser = await launchChromium()
      const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } })
      page.setDefaultTimeout(45_000)
      // Script errors and console errors, but for two the test causes on purpose: the 400 answer to an
      // invalid start, and the page's CSP refusing the test graph's inline handler.
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(error.message))
      page.on('console', (message) => {
        const text = message.text()
        const expected = text.includes('status of 400 (Bad Request)') || text.includes('inline event handler violates')
        if (message.type() === 'error' && !expected) problems.push(text)
      })
      await page.goto(dashboard.url)

      // The form is filled with the defaults, and the model's graph is drawn inline, without its script.
      await page.waitForFunction(() => (document.querySelector('#layers') as HTMLInputElement | null)?.value === '4,8,3')
      await page.waitForSelector('#graph-view svg g.node.derivative')
      expect(await page.locator('#graph-view svg g.node').count()).toBe(2)
      expect(await page.locator('#graph-view script').count()).toBe(0)
      expect(await page.locator('#graph-view [onclick]').count()).toBe(0)

      // An invalid setting is shown next to its field, and nothing starts.
      await page.fill('#lr', '-1')
      await page.click('#start')
      await page.waitForFunction(() => document.querySelector('[data-error-for="lr"]')?.textContent === 'must be a positive number')
      expect(await page.getAttribute('#lr', 'aria-invalid')).toBe('true')
      expect(await page.textContent('#state')).toBe('idle')
      await page.fill('#lr', '0.05')
      await page.waitForFunction(() => document.querySelector('[data-error-for="lr"]')?.textContent === '')

      // Start: the run's figures appear and keep changing without a reload.
      await page.click('#start')
      await page.waitForFunction(() => document.querySelector('#state')?.textContent === 'running')
      await page.waitForFunction(() => document.querySelector('#fig-loss')?.textContent !== '–')
      const firstLoss = await page.textContent('#fig-loss')
      await page.waitForFunction((before) => document.querySelector('#fig-loss')?.textContent !== before, firstLoss)
      await page.waitForFunction(() => Number(document.querySelector('#fig-epoch')?.textContent) >= 3)
      expect(await page.textContent('#fig-train-loss')).toMatch(/^\d/)
      expect(await page.textContent('#fig-accuracy')).toMatch(/^\d+\.\d%$/)
      expect(await page.locator('#chart-steps canvas').count()).toBe(1)
      expect(await page.locator('#chart-loss canvas').count()).toBe(1)
      expect(run.stopped()).toBe(false)

      // The network at a chosen test sample, at the parameters of the latest epoch; a sample past the test set is refused in one line.
      await page.fill('#network-sample', '2')
      await page.click('#network-show')
      await page.waitForSelector('#network-view svg g.node')
      expect(await page.textContent('#network-view svg')).toContain('∂E/∂v = [0.25, -0.125]')
      expect(await page.textContent('#network-caption')).toMatch(/^run 1 after epoch \d+, test sample 2: E = 0\.2500, t = \[0\.00, 1\.00\], y = \[0\.220, 0\.780\]$/)
      expect(network.calls.at(-1)?.sample).toBe(2)
      expect(network.calls.at(-1)?.params).toEqual({})
      await page.fill('#network-sample', '12')
      await page.click('#network-show')
      await page.waitForFunction(() => document.querySelector('#network-error')?.textContent === 'the test set has 10 samples: choose one from 0 to 9')
      expect(await page.locator('#network-view svg').count()).toBe(0)
      await page.fill('#network-sample', '4')
      await page.click('#network-show')
      await page.waitForFunction(() => document.querySelector('#network-caption')?.textContent?.includes('test sample 4'))
      expect(await page.textContent('#network-error')).toBe('')

      // Stop: the server unsubscribes from the run.
      await page.click('#stop')
      await page.waitForFunction(() => document.querySelector('#state')?.textContent === 'stopped')
      expect(run.stopped()).toBe(true)
      expect(await page.isDisabled('#stop')).toBe(true)
      expect(await page.isEnabled('#start')).toBe(true)

      await mkdir(join(screenshot, '..'), { recursive: true })
      await page.screenshot({ path: screenshot, fullPage: true })
      expect(existsSync(screenshot)).toBe(true)
      expect(problems).toEqual([])
      expect(await page.evaluate(() => document.title)).toBe('backprop · training dashboard')
    } finally {
      await browser?.close()
      await dashboard.close()
    }
  })
})

/** A finished-in-a-moment run of a classifier: 3 epochs of 10 steps, with confusion matrices and per-layer statistics. */
const shortRun = (lr: number) =>
  interval(5).pipe(
    take(31),
    concatMap((i): TrainEvent[] => {
      if (i === 30) return [doneEvent(3, 30)]
      const step = i + 1
      const epoch = Math.ceil(step / 10)
      const events: TrainEvent[] = [stepEvent(step, epoch, lr * 10 + 1 / step)]
      if (step % 10 === 0) {
        const layers = [1, 2].map((layer) => ({ layer, deltaRms: 0.1 / (epoch * layer), gradNorm: 1 / epoch, weightNorm: 2 }))
        events.push({ ...epochEvent(epoch, step), confusion: [[5 + epoch, 5 - epoch], [2, 8]], layers } as TrainEvent)
      }
      return events
    }),
  )

describe('the dashboard as a workbench', () => {
  it('compares two runs, keeps them over a restart, lists a command-line run and gives a late joiner the whole history', { timeout: 180_000 }, async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'dashboard-e2e-'))
    const startRun = (settings: { lr: number }) => E.right(shortRun(settings.lr))
    let dashboard = await startDashboard({ port: 0, logDir, startRun })
    let browser: Browser | undefined
    try {
      browser = await launchChromium()
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } })
      page.setDefaultTimeout(45_000)
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(error.message))
      await page.goto(dashboard.url)
      await page.waitForFunction(() => (document.querySelector('#layers') as HTMLInputElement | null)?.value === '4,8,3')

      // Two runs with different learning rates, started from the form.
      for (const [run, lr] of [[1, '0.05'], [2, '0.2']] as const) {
        await page.fill('#lr', lr)
        await page.click('#start')
        await page.waitForFunction(
          (n) => document.querySelector('#run')?.textContent === String(n) && document.querySelector('#state')?.textContent === 'done',
          run,
        )
      }
      // A run the command line writes into the same directory appears in the list.
      const cli = openRun(logDir, { dataset: 'iris', layers: [4, 8, 3], lr: 0.7, epochs: 1 }, 'cli')
      if (E.isLeft(cli)) throw new Error(cli.left)
      cli.right.append(epochEvent(1, 10))
      cli.right.append(doneEvent(1, 10))
      cli.right.close()
      await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 3)
      expect(await page.textContent(`#runs-table tr[data-run="${cli.right.id}"]`)).toContain('0.7')

      // Compare the two page runs: one legend entry per run, named by the setting that differs.
      const ids = (await dashboardRuns(dashboard.url)).filter((r) => r.source === 'dashboard').map((r) => r.id)
      expect(ids).toHaveLength(2)
      for (const id of ids) {
        const box = page.locator(`#runs-table tr[data-run="${id}"] input[type=checkbox]`)
        if (!(await box.isChecked())) await box.check()
      }
      await page.waitForFunction(() => {
        const legend = document.querySelector('#chart-accuracy .u-legend')?.textContent ?? ''
        return legend.includes('lr 0.05') && legend.includes('lr 0.2')
      })
      // The confusion matrix of the focused run, with per-class accuracy, and a chart per layer.
      await page.waitForFunction(() => document.querySelectorAll('#confusion tr[data-class]').length === 2)
      expect(await page.textContent('#confusion tr[data-class="1"]')).toContain('80.0%')
      expect(await page.locator('#layer-charts .chart canvas').count()).toBe(2)
      // Sorting by learning rate puts the 0.7 run last, then first.
      await page.click('#runs-table th[data-sort="lr"]')
      expect(await page.getAttribute('#runs-table tbody tr:last-child', 'data-run')).toBe(cli.right.id)
      await page.click('#runs-table th[data-sort="lr"]')
      expect(await page.getAttribute('#runs-table tbody tr:first-child', 'data-run')).toBe(cli.right.id)
      await page.screenshot({ path: join(screenshot, '..', 'dashboard-compare.png'), fullPage: true })

      // A restart keeps every run.
      await dashboard.close()
      dashboard = await startDashboard({ port: 0, logDir, startRun: () => E.right(from(runEvents(3, 500))) })
      await page.goto(dashboard.url)
      await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 3)

      // A late joiner: a 1,500-step run has ended; a page opened now gets every step of it.
      expect((await postJson(dashboard.url, '/start', {})).status).toBe(202)
      const late = await browser.newPage()
      await late.goto(dashboard.url)
      const steps = await late.evaluate(
        () =>
          new Promise<number>((resolve) => {
            let count = 0
            const source = new EventSource('/events')
            source.onmessage = (m) => {
              const event = JSON.parse(m.data) as { type: string }
              if (event.type === 'step') count++
              if (event.type === 'done') {
                source.close()
                resolve(count)
              }
            }
          }),
      )
      expect(steps).toBe(1500)
      await late.waitForFunction(() => document.querySelector('#fig-step')?.textContent === '1500')

      // Deleting a run from the page removes its folder, after confirmation.
      page.once('dialog', (dialog) => void dialog.accept())
      await page.click(`#runs-table tr[data-run="${cli.right.id}"] button.delete`)
      await page.waitForFunction((id) => document.querySelector(`#runs-table tr[data-run="${id}"]`) === null, cli.right.id)
      expect(existsSync(join(logDir, cli.right.id))).toBe(false)
      expect(problems).toEqual([])
    } finally {
      await browser?.close()
      await dashboard.close()
      rmSync(logDir, { recursive: true, force: true })
    }
  })
})

/** The runs the dashboard lists. */
const dashboardRuns = async (url: string): Promise<{ id: string; source: string }[]> =>
  (await (await fetch(`${url}runs`)).json()) as { id: string; source: string }[]
