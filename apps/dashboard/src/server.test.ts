import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonLine, type TrainEvent } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import type { Dashboard, DashboardOptions } from './options.js'
import { openRun } from './run-log/run-writer.js'
import { startDashboard } from './server.js'
import { type FieldErrors, type RunSettings, defaultSettings } from './settings.js'
import { epochEvent, doneEvent, manualRun, runEvents, scriptedRuns, stepEvent } from './testing/events.js'
import { eventsOf, postJson, request, sseClient } from './testing/http-client.js'

const open: Dashboard[] = []
const serve = async (options: DashboardOptions): Promise<Dashboard> => {
  const dashboard = await startDashboard({ port: 0, ...options })
  open.push(dashboard)
  return dashboard
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()))
})

/** What JSON makes of an event: what a client of `train --json` or `/events` sees. */
const asJson = (event: TrainEvent): unknown => JSON.parse(JSON.stringify(event))

const isDone = (m: { data: string }): boolean => (JSON.parse(m.data) as { type: string }).type === 'done'

describe('the page', () => {
  it('is served on 127.0.0.1 with its scripts and the charting library', async () => {
    const { url } = await serve({ startRun: scriptedRuns([]) })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const page = await request(url, { path: '/' })
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.body).toContain('<form id="settings"')
    const app = await request(url, { path: '/js/app.js' })
    expect(app.status).toBe(200)
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8')
    const chart = await request(url, { path: '/vendor/uPlot.iife.min.js' })
    expect(chart.status).toBe(200)
    expect(chart.body).toContain('uPlot')
  })

  it.each([
    '/../package.json',
    '/../src/server.ts',
    '/%2e%2e/package.json',
    '/%2e%2e%2fpackage.json',
    '/..%2f..%2f..%2fpackage.json',
    '/js/..%2f..%2fpackage.json',
    '/vendor/../../package.json',
    '/vendor/..%2f..%2f..%2fnode_modules%2fuplot%2fpackage.json',
    '/..\\package.json',
    '/%5c..%5cpackage.json',
    '//etc/passwd',
    '/../../../../../../etc/passwd',
    '/.gitignore',
  ])('refuses the path %s', async (path) => {
    const { url } = await serve({ startRun: scriptedRuns([]) })
    const res = await request(url, { path })
    expect([400, 404]).toContain(res.status)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.body).not.toContain('"name"')
    expect(res.body).not.toContain('root:')
    expect(res.body).not.toContain('import')
  })

  it('answers only to its loopback names, against DNS rebinding', async () => {
    const { url } = await serve({ startRun: scriptedRuns([]) })
    const port = new URL(url).port
    expect((await request(url, { path: '/', headers: { host: `localhost:${port}` } })).status).toBe(200)
    const other = await request(url, { path: '/', headers: { host: `evil.example:${port}` } })
    expect(other.status).toBe(403)
  })
})

describe('/events', () => {
  it('streams a run as train --json lines: its epoch events in order, then done', async () => {
    const events = runEvents(3, 5)
    const { url } = await serve({ startRun: scriptedRuns(events) })
    const client = sseClient(url)
    expect(await client.opened).toEqual({ status: 200, contentType: 'text/event-stream; charset=utf-8' })
    expect((await postJson(url, '/start', { epochs: 3 })).status).toBe(202)
    const messages = await client.until(isDone)
    client.close()
    const received = eventsOf(messages)
    const epochs = received.filter((e) => e.type === 'epoch')
    expect(epochs).toEqual(events.filter((e) => e.type === 'epoch').map(asJson))
    expect(received[received.length - 1]).toEqual(asJson(events[events.length - 1]!))
    // Ids are `run-seq`, rising; steps only ever come before the epoch event that ends their epoch.
    const seqs = messages.map((m) => Number(m.id!.split('-')[1]))
    expect(messages.every((m) => m.id!.startsWith('1-'))).toBe(true)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    let epochsSeen = 0
    for (const event of received) {
      if (event.type === 'epoch') epochsSeen++
      if (event.type === 'step') expect(event['epoch']).toBe(epochsSeen + 1)
    }
    // The parameters that events carry are not part of the stream.
    expect(messages.some((m) => m.data.includes('params'))).toBe(false)
  })

  it('writes figures JSON has no number for as train --json does: "NaN", "Infinity"', async () => {
    const diverged = { ...doneEvent(1, 5), testLoss: Infinity, testAccuracy: NaN }
    const { url } = await serve({ startRun: scriptedRuns([epochEvent(1, 5), diverged]) })
    const client = sseClient(url)
    await client.opened
    expect((await postJson(url, '/start', { epochs: 1 })).status).toBe(202)
    const messages = await client.until(isDone)
    client.close()
    const done = JSON.parse(messages.at(-1)!.data) as Record<string, unknown>
    expect(done['testLoss']).toBe('Infinity')
    expect(done['testAccuracy']).toBe('NaN')
    expect(done['trainLoss']).toBe(diverged.trainLoss)
  })

  it('gives a browser that joins late the events so far', async () => {
    const events = runEvents(4, 3)
    const { url } = await serve({ startRun: scriptedRuns(events) })
    expect((await postJson(url, '/start', {})).status).toBe(202)
    const late = sseClient(url)
    const messages = await late.until(isDone)
    late.close()
    expect(eventsOf(messages).filter((e) => e.type !== 'step')).toEqual(events.filter((e) => e.type !== 'step').map(asJson))
    expect(eventsOf(messages).filter((e) => e.type === 'step')).toEqual(events.filter((e) => e.type === 'step').map(asJson))
  })

  it('serves one run to several browsers, and a browser that leaves neither stops nor holds up the run', async () => {
    const run = manualRun()
    const { url } = await serve({ startRun: run.startRun })
    const leaving = sseClient(url)
    const staying = sseClient(url)
    const watching = sseClient(url)
    await Promise.all([leaving.opened, staying.opened, watching.opened])
    expect((await postJson(url, '/start', {})).status).toBe(202)
    run.emit(epochEvent(1, 10))
    await Promise.all([leaving, staying, watching].map((c) => c.until((m) => m.id === '1-1')))
    leaving.close()
    // A round trip after the disconnect, so the server has seen it before the run goes on.
    expect((await request(url, { path: '/status' })).status).toBe(200)
    run.emit(stepEvent(11, 2, 0.5))
    run.emit(epochEvent(2, 20))
    run.emit(doneEvent(2, 20))
    run.end()
    expect(run.subscriptions()).toBe(1)
    expect(run.unsubscribed()).toBe(false)
    const expected = [epochEvent(1, 10), stepEvent(11, 2, 0.5), epochEvent(2, 20), doneEvent(2, 20)].map(asJson)
    expect(eventsOf(await staying.until(isDone))).toEqual(expected)
    expect(eventsOf(await watching.until(isDone))).toEqual(expected)
    staying.close()
    watching.close()
    expect(JSON.parse((await request(url, { path: '/status' })).body)).toMatchObject({ state: 'done', run: 1 })
  })

  it('gives a late joiner on a slow link every event the replay holds, in order', { timeout: 60_000 }, async () => {
    // 1,800 steps: within the replay's 2,000, so it holds the whole run.
    const events = runEvents(4, 450)
    const { url } = await serve({ startRun: scriptedRuns(events) })
    expect((await postJson(url, '/start', {})).status).toBe(202)
    const slow = sseClient(url, '/events', {}, { pauseMs: 2 })
    const messages = await slow.until(isDone)
    slow.close()
    expect(eventsOf(messages)).toEqual(events.map(asJson))
    expect(messages.map((m) => m.id)).toEqual(events.map((_, i) => `1-${i + 1}`))
  })

  it('resumes on a slow link after Last-Event-ID with the rest of the run, nothing left out', { timeout: 60_000 }, async () => {
    const events = runEvents(3, 500)
    const { url } = await serve({ startRun: scriptedRuns(events) })
    await postJson(url, '/start', {})
    const slow = sseClient(url, '/events', { 'last-event-id': '1-700' }, { pauseMs: 2 })
    const messages = await slow.until(isDone)
    slow.close()
    expect(eventsOf(messages)).toEqual(events.slice(700).map(asJson))
  })

  it('resumes after Last-Event-ID when a browser reconnects', async () => {
    const { url } = await serve({ startRun: scriptedRuns(runEvents(2, 1)) })
    await postJson(url, '/start', {})
    const client = sseClient(url, '/events', { 'last-event-id': '1-3' })
    const messages = await client.until(isDone)
    client.close()
    expect(messages.map((m) => m.id)).toEqual(['1-4', '1-5'])
  })
})

describe('starting and stopping', () => {
  it('refuses a second start while a run is going, with 409 and a clear message', async () => {
    const run = manualRun()
    const { url } = await serve({ startRun: run.startRun })
    expect((await postJson(url, '/start', {})).status).toBe(202)
    const again = await postJson(url, '/start', { epochs: 2 })
    expect(again.status).toBe(409)
    expect(JSON.parse(again.body)).toEqual({ error: 'run 1 is still going: stop it before starting another' })
    expect(run.subscriptions()).toBe(1)
  })

  it('answers a start with the run it started', async () => {
    const startRun = scriptedRuns([])
    const { url } = await serve({ startRun })
    const res = await postJson(url, '/start', { layers: '4,16,3', lr: '0.05' })
    expect(res.status).toBe(202)
    const settings = { ...defaultSettings, layers: [4, 16, 3], lr: 0.05 }
    expect(JSON.parse(res.body)).toMatchObject({ run: 1, settings })
    expect(startRun.calls).toEqual([settings])
  })

  it('refuses invalid settings with 400 and one message per field', async () => {
    const startRun = scriptedRuns([])
    const { url } = await serve({ startRun })
    const res = await postJson(url, '/start', { lr: -1, layers: 'x' })
    expect(res.status).toBe(400)
    const body = JSON.parse(res.body) as { error: string; fields: Record<string, string> }
    expect(body.fields).toEqual({ layers: expect.any(String), lr: 'must be a positive number' })
    expect(body.error).toContain('lr must be a positive number')
    expect(startRun.calls).toEqual([])
  })

  it('shows the caller’s own checks and the starter’s refusal next to their fields', async () => {
    const validate = (s: RunSettings): FieldErrors =>
      s.dataset === 'iris' && s.layers[0] !== 4 ? { layers: 'iris has 4 features: the first size must be 4' } : {}
    const { url } = await serve({
      startRun: (s, signal) => (s.epochs > 100 ? E.left('--epochs: at most 100 here') : E.right(scriptedRuns([])(s, signal) as never)),
      validate,
    })
    const checked = await postJson(url, '/start', { layers: [5, 3] })
    expect(checked.status).toBe(400)
    expect(JSON.parse(checked.body).fields).toEqual({ layers: 'iris has 4 features: the first size must be 4' })
    const refused = await postJson(url, '/start', { epochs: 500 })
    expect(refused.status).toBe(400)
    expect(JSON.parse(refused.body)).toEqual({ error: '--epochs: at most 100 here', fields: { epochs: '--epochs: at most 100 here' } })
    const valid = await postJson(url, '/validate', { layers: [5, 3] })
    expect(JSON.parse(valid.body).fields).toEqual({ layers: 'iris has 4 features: the first size must be 4' })
    expect((await postJson(url, '/validate', {})).status).toBe(200)
  })

  it('stops a run by unsubscribing from the trainer', async () => {
    const run = manualRun()
    const { url } = await serve({ startRun: run.startRun })
    const status = sseClient(url, '/status/events')
    await postJson(url, '/start', {})
    const stopped = await postJson(url, '/stop', {})
    expect(stopped.status).toBe(200)
    expect(JSON.parse(stopped.body)).toMatchObject({ state: 'stopped', run: 1 })
    expect(run.unsubscribed()).toBe(true)
    const again = await postJson(url, '/stop', {})
    expect(again.status).toBe(409)
    expect(JSON.parse(again.body)).toEqual({ error: 'no run is going' })
    const states = (await status.until((m) => m.data.includes('"stopped"'))).map((m) => JSON.parse(m.data).state)
    status.close()
    expect(states).toEqual(['idle', 'running', 'stopped'])
  })

  it('refuses state changes sent as a form or from another site', async () => {
    const { url } = await serve({ startRun: scriptedRuns([]) })
    const form = await request(url, { method: 'POST', path: '/start', headers: { 'content-type': 'text/plain' }, body: '{}' })
    expect(form.status).toBe(415)
    const port = new URL(url).port
    const foreign = await request(url, {
      method: 'POST',
      path: '/stop',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example', host: `127.0.0.1:${port}` },
      body: '{}',
    })
    expect(foreign.status).toBe(403)
    expect((await request(url, { path: '/start' })).status).toBe(405)
    expect((await request(url, { method: 'POST', path: '/start', headers: { 'content-type': 'application/json' }, body: '{' })).status).toBe(400)
  })
})

describe('the graph', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><text>W1</text></g></svg>'

  it('draws the graph of the settings it is sent', async () => {
    const drawn: unknown[] = []
    const { url } = await serve({
      startRun: scriptedRuns([]),
      graphSvg: async (settings) => {
        drawn.push(settings.layers)
        return settings.layers.length > 4 ? E.left('--layers: too deep to draw here') : E.right(svg)
      },
    })
    const ok = await postJson(url, '/graph', { layers: '4,5,3' })
    expect(ok.status).toBe(200)
    expect(ok.headers['content-type']).toBe('image/svg+xml; charset=utf-8')
    expect(ok.body).toBe(svg)
    const refused = await postJson(url, '/graph', { layers: '4,5,5,5,3' })
    expect(refused.status).toBe(400)
    expect(JSON.parse(refused.body).fields).toEqual({ layers: '--layers: too deep to draw here' })
    expect(drawn).toEqual([[4, 5, 3], [4, 5, 5, 5, 3]])
  })

  it('draws the current run’s graph at /graph.svg once there is a run', async () => {
    const { url } = await serve({ startRun: scriptedRuns([]), graphSvg: async () => E.right(svg) })
    expect((await request(url, { path: '/graph.svg' })).status).toBe(404)
    await postJson(url, '/start', {})
    const res = await request(url, { path: '/graph.svg' })
    expect(res.status).toBe(200)
    expect(res.body).toBe(svg)
  })

  it('says so when it was started without a renderer', async () => {
    const { url } = await serve({ startRun: scriptedRuns([]) })
    expect((await postJson(url, '/graph', {})).status).toBe(501)
  })
})

describe('startDashboard', () => {
  it('fails with one line when the port is taken', async () => {
    const first = await serve({ startRun: scriptedRuns([]) })
    const port = Number(new URL(first.url).port)
    await expect(startDashboard({ port, startRun: scriptedRuns([]) })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use (choose another with --port)`)
  })

  it('ends event streams when it closes', async () => {
    const dashboard = await startDashboard({ port: 0, startRun: scriptedRuns([]) })
    const client = sseClient(dashboard.url)
    await client.opened
    await dashboard.close()
    await expect(request(dashboard.url, { path: '/' })).rejects.toThrow()
  })
})

describe('runs kept in a log directory', () => {
  let logDir: string
  beforeEach(() => {
    logDir = mkdtempSync(join(tmpdir(), 'dashboard-runs-'))
  })
  afterEach(() => rmSync(logDir, { recursive: true, force: true }))

  /** Starts a run and waits for the status to say it ended. */
  const runToEnd = async (url: string, settings: Record<string, unknown>): Promise<string> => {
    const started = await postJson(url, '/start', settings)
    expect(started.status).toBe(202)
    const id = (JSON.parse(started.body) as { id: string }).id
    const status = sseClient(url, '/status/events')
    await status.until((m) => (JSON.parse(m.data) as { state: string }).state !== 'running')
    status.close()
    return id
  }

  it('keeps every run, lists them at /runs after a restart, and serves their events', async () => {
    const events = runEvents(2, 3)
    const first = await serve({ startRun: scriptedRuns(events), logDir })
    const a = await runToEnd(first.url, { lr: 0.1 })
    const b = await runToEnd(first.url, { lr: 0.2 })
    await first.close()
    const second = await serve({ startRun: scriptedRuns(events), logDir })
    const list = JSON.parse((await request(second.url, { path: '/runs' })).body) as { id: string; state: string; settings: { lr: number } }[]
    expect(list.map((r) => [r.id, r.state, r.settings.lr]).sort()).toEqual([[a, 'done', 0.1], [b, 'done', 0.2]].sort())
    const served = await request(second.url, { path: `/runs/${a}/events` })
    expect(served.status).toBe(200)
    expect(served.headers['content-type']).toBe('application/x-ndjson; charset=utf-8')
    // Exactly what train --json prints: every event but the steps, one line each.
    expect(served.body).toBe(events.filter((e) => e.type !== 'step').map((e) => `${jsonLine(e)}\n`).join(''))
  })

  it('lists runs written by the command line into the same directory', async () => {
    const written = openRun(logDir, { dataset: 'iris', lr: 0.5 }, 'cli')
    if (E.isLeft(written)) throw new Error(written.left)
    written.right.append(epochEvent(1, 5))
    written.right.append(doneEvent(1, 5))
    written.right.close()
    const { url } = await serve({ startRun: scriptedRuns([]), logDir })
    expect(JSON.parse((await request(url, { path: '/runs' })).body)).toMatchObject([{ id: written.right.id, state: 'done', source: 'cli' }])
  })

  it('deletes a run folder when its own page asks, and refuses other sites and other paths', async () => {
    const { url } = await serve({ startRun: scriptedRuns(runEvents(1, 2)), logDir })
    const id = await runToEnd(url, {})
    const port = new URL(url).port
    const foreign = await request(url, { method: 'DELETE', path: `/runs/${id}`, headers: { origin: 'http://evil.example' } })
    expect(foreign.status).toBe(403)
    for (const path of ['/runs/..', '/runs/%2e%2e', '/runs/..%2f..%2ftmp']) {
      expect((await request(url, { method: 'DELETE', path })).status).toBe(400)
    }
    expect((await request(url, { method: 'DELETE', path: '/runs/no-such-run' })).status).toBe(404)
    expect(existsSync(join(logDir, id))).toBe(true)
    const ok = await request(url, { method: 'DELETE', path: `/runs/${id}`, headers: { origin: `http://127.0.0.1:${port}` } })
    expect(ok.status).toBe(200)
    expect(existsSync(join(logDir, id))).toBe(false)
    expect(JSON.parse((await request(url, { path: '/runs' })).body)).toEqual([])
  })

  it('refuses to delete the run that is going', async () => {
    const run = manualRun()
    const { url } = await serve({ startRun: run.startRun, logDir })
    const id = (JSON.parse((await postJson(url, '/start', {})).body) as { id: string }).id
    expect((await request(url, { method: 'DELETE', path: `/runs/${id}` })).status).toBe(409)
    expect(JSON.parse((await request(url, { path: '/runs' })).body)).toMatchObject([{ id, state: 'running' }])
    await postJson(url, '/stop', {})
    expect(JSON.parse((await request(url, { path: '/runs' })).body)).toMatchObject([{ id, state: 'stopped' }])
  })

  it('serves images of a kept run\'s test samples from the caller\'s hook, with the run\'s settings', async () => {
    const asked: unknown[] = []
    const { url } = await serve({
      startRun: scriptedRuns(runEvents(1, 1)),
      logDir,
      sampleImages: async (settings, samples) => {
        asked.push([settings['lr'], samples])
        return E.right(samples.map((sample) => ({ sample, width: 1, height: 1, pixels: [sample] })))
      },
    })
    const id = await runToEnd(url, { lr: 0.3 })
    const res = await request(url, { path: `/runs/${id}/samples?i=4,2` })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual([
      { sample: 4, width: 1, height: 1, pixels: [4] },
      { sample: 2, width: 1, height: 1, pixels: [2] },
    ])
    expect(asked).toEqual([[0.3, [4, 2]]])
    expect((await request(url, { path: `/runs/${id}/samples?i=-1` })).status).toBe(400)
    expect((await request(url, { path: `/runs/${id}/samples` })).status).toBe(400)
    expect((await request(url, { path: '/runs/nothing/samples?i=1' })).status).toBe(404)
  })
})
