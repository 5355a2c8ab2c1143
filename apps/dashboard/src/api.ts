import type { IncomingMessage, ServerResponse } from 'node:http'
import * as E from 'fp-ts/lib/Either.js'
import { jsonLine, type TrainEvent } from '@backprop/trainer'
import type { Observable } from 'rxjs'
import { type HttpError, readJson, send, sendError, sendJson } from './http.js'
import type { DashboardOptions } from './options.js'
import type { RunManager, RunStatus, WatchedEntry } from './run-manager.js'
import type { RunLog, RunLogError } from './run-log/run-log.js'
import { type FieldErrors, type RunSettings, defaultSettings, parseSettings, settingNamed } from './settings.js'
import { type SseEncoding, sseMessage, streamSse } from './sse.js'

/**
 * The handlers of the dashboard's HTTP API, given the run manager and the
 * caller's options.
 *
 * @internal
 */
export interface Api {
  readonly events: (req: IncomingMessage, res: ServerResponse) => void
  readonly statusEvents: (req: IncomingMessage, res: ServerResponse) => void
  readonly status: (req: IncomingMessage, res: ServerResponse) => void
  readonly defaults: (req: IncomingMessage, res: ServerResponse) => void
  readonly start: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly stop: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly validate: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly graph: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly runGraph: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly runs: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly runEvents: (req: IncomingMessage, res: ServerResponse, id: string) => Promise<void>
  readonly deleteRun: (req: IncomingMessage, res: ServerResponse, id: string) => Promise<void>
  readonly runSamples: (req: IncomingMessage, res: ServerResponse, id: string) => Promise<void>
  readonly network: (req: IncomingMessage, res: ServerResponse) => Promise<void>
}

/** At most this many images per request: a strip, not a data set. */
const maxSamples = 64

/** The HTTP status of each refusal of the run log. */
const runLogStatus: Readonly<Record<RunLogError['_tag'], number>> = { BadId: 400, NotFound: 404, Running: 409 }

/** Settings read from a request and checked, or the response that refuses them. */
type Checked = E.Either<{ readonly error: HttpError; readonly fields: FieldErrors }, RunSettings>

const invalid = (fields: FieldErrors): Checked => {
  const names = Object.keys(fields)
  const first = names[0]!
  const message = first === '_' ? fields[first]! : `invalid settings: ${names.map((n) => `${n} ${fields[n]}`).join('; ')}`
  return E.left({ error: { status: 400, message }, fields })
}

/** The SSE message of each event (with the id it was last sent under), while the event is alive. */
const encoded = new WeakMap<TrainEvent, { readonly id: string; readonly text: string }>()

/**
 * Training events on the wire: exactly a `train --json` line each (`params`
 * rides along non-enumerable, so JSON leaves it out), with the id
 * `run-seq`. Only live step events may be thinned for a slow client; the
 * replay arrives whole.
 */
const entryEncoding: SseEncoding<WatchedEntry> = {
  message: (entry) => {
    // Every client is sent the same text for an event: make it once, not once per client.
    const id = `${entry.run}-${entry.seq}`
    const known = encoded.get(entry.event)
    if (known?.id === id) return known.text
    const text = sseMessage(jsonLine(entry.event), id)
    encoded.set(entry.event, { id, text })
    return text
  },
  droppable: (entry) => entry.event.type === 'step' && !entry.replayed,
}

/**
 * Training events go to each client in one write per this many ms at most:
 * a write per event and client made 50 watchers slow a fast run 2-3x (the
 * watchers bench); a tenth of a second late is still live to a person.
 */
const eventsBatchMs = 200

/** Status changes are few and each one matters. */
const statusEncoding: SseEncoding<RunStatus> = { message: (status) => sseMessage(JSON.stringify(status)), droppable: () => false }

/**
 * SVG is drawn by our own code, but it is still shown as a document of its
 * own when opened directly: let it run nothing.
 */
const svgHeaders = { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" }

/**
 * The API of {@link startDashboard}: `/events` and `/status/events` as
 * Server-Sent Events, `/status` and `/defaults` as JSON, and the POST
 * endpoints that start and stop runs, check settings and draw graphs.
 *
 * @internal
 */
export const api = (runs: RunManager, stored: RunLog | undefined, options: DashboardOptions, closing$: Observable<unknown>): Api => {
  const defaults = options.defaults ?? defaultSettings

  /** Reads the body as settings, checks their form and then the caller's rules. */
  const readSettings = async (req: IncomingMessage): Promise<Checked> => {
    const body = await readJson(req)
    if (E.isLeft(body)) return E.left({ error: body.left, fields: {} })
    const parsed = parseSettings(body.right, defaults)
    if (E.isLeft(parsed)) return invalid(parsed.left)
    const more = options.validate?.(parsed.right) ?? {}
    return Object.keys(more).length > 0 ? invalid(more) : parsed
  }

  /** Answers with the checked settings' refusal, or hands them on. */
  const withSettings = async (req: IncomingMessage, res: ServerResponse, then: (settings: RunSettings) => Promise<void> | void) => {
    const checked = await readSettings(req)
    if (E.isLeft(checked)) sendError(res, checked.left.error, { fields: checked.left.fields })
    else await then(checked.right)
  }

  /** Draws a graph, or says why not (naming the setting where the message does). */
  const drawGraph = async (res: ServerResponse, settings: RunSettings): Promise<void> => {
    if (options.graphSvg === undefined) {
      sendError(res, { status: 501, message: 'this dashboard was started without a graph renderer' })
      return
    }
    const drawn = await options.graphSvg(settings)
    if (E.isRight(drawn)) {
      send(res, 200, 'image/svg+xml; charset=utf-8', drawn.right, svgHeaders)
      return
    }
    const field = settingNamed(drawn.left)
    sendError(res, { status: 400, message: drawn.left }, { fields: field === undefined ? {} : { [field]: drawn.left } })
  }

  return {
    events: (req, res) => {
      const lastEventId = req.headers['last-event-id']
      const entries$ = runs.watch({
        ...(typeof lastEventId === 'string' ? { lastEventId } : {}),
        ...(options.stepInterval === undefined ? {} : { stepInterval: options.stepInterval }),
      })
      streamSse(res, entries$, entryEncoding, closing$, { batchMs: eventsBatchMs })
    },

    statusEvents: (_req, res) => streamSse(res, runs.status$, statusEncoding, closing$),

    status: (_req, res) => sendJson(res, 200, runs.status()),

    defaults: (_req, res) => sendJson(res, 200, defaults),

    start: async (req, res) => {
      // A run that is going refuses any start, valid settings or not.
      const now = runs.status()
      if (now.state === 'running') {
        req.resume()
        sendError(res, { status: 409, message: `run ${now.run} is still going: stop it before starting another` })
        return
      }
      await withSettings(req, res, (settings) => {
        const started = runs.start(settings)
        if (E.isRight(started)) {
          sendJson(res, 202, started.right)
          return
        }
        const refusal = started.left
        if (refusal._tag === 'Busy') {
          sendError(res, { status: 409, message: refusal.message })
          return
        }
        const field = settingNamed(refusal.message)
        sendError(res, { status: 400, message: refusal.message }, { fields: field === undefined ? {} : { [field]: refusal.message } })
      })
    },

    stop: async (req, res) => {
      const body = await readJson(req)
      if (E.isLeft(body)) {
        sendError(res, body.left)
        return
      }
      const stopped = runs.stop()
      if (E.isLeft(stopped)) sendError(res, { status: 409, message: stopped.left })
      else sendJson(res, 200, stopped.right)
    },

    validate: (req, res) => withSettings(req, res, (settings) => sendJson(res, 200, { settings, fields: {} })),

    graph: (req, res) => withSettings(req, res, (settings) => drawGraph(res, settings)),

    runs: async (_req, res) => sendJson(res, 200, stored === undefined ? [] : await stored.list()),

    runEvents: async (_req, res, id) => {
      const text = stored === undefined ? E.left<RunLogError>({ _tag: 'NotFound', message: 'runs are not kept' }) : await stored.events(id)
      if (E.isLeft(text)) sendError(res, { status: runLogStatus[text.left._tag], message: text.left.message })
      else send(res, 200, 'application/x-ndjson; charset=utf-8', text.right)
    },

    deleteRun: async (_req, res, id) => {
      const removed = stored === undefined ? E.left<RunLogError>({ _tag: 'NotFound', message: 'runs are not kept' }) : await stored.remove(id)
      if (E.isLeft(removed)) sendError(res, { status: runLogStatus[removed.left._tag], message: removed.left.message })
      else sendJson(res, 200, { deleted: id })
    },

    runSamples: async (req, res, id) => {
      if (options.sampleImages === undefined) {
        sendError(res, { status: 501, message: 'this dashboard was started without sample images' })
        return
      }
      const wanted = (new URL(req.url ?? '/', 'http://x').searchParams.get('i') ?? '').split(',').filter((s) => s !== '')
      const samples = wanted.map(Number)
      if (samples.length === 0 || samples.length > maxSamples || !samples.every((n) => Number.isSafeInteger(n) && n >= 0)) {
        sendError(res, { status: 400, message: `i must list 1 to ${maxSamples} sample positions, e.g. ?i=3,17` })
        return
      }
      const settings = stored === undefined ? E.left<RunLogError>({ _tag: 'NotFound', message: 'runs are not kept' }) : await stored.settings(id)
      if (E.isLeft(settings)) {
        sendError(res, { status: runLogStatus[settings.left._tag], message: settings.left.message })
        return
      }
      const images = await options.sampleImages(settings.right, samples)
      if (E.isLeft(images)) sendError(res, { status: 404, message: images.left })
      else sendJson(res, 200, images.right)
    },

    network: async (req, res) => {
      if (options.networkAt === undefined) {
        sendError(res, { status: 501, message: 'this dashboard was started without a network view' })
        return
      }
      const text = new URL(req.url ?? '/', 'http://x').searchParams.get('sample') ?? '0'
      const sample = /^\d{1,9}$/.test(text) ? Number(text) : NaN
      if (!Number.isSafeInteger(sample)) {
        sendError(res, { status: 400, message: `sample must be a test sample's position from 0, e.g. ?sample=3, not '${text}'` })
        return
      }
      const latest = runs.latestParams()
      if (latest === undefined) {
        sendError(res, { status: 404, message: 'no run has finished an epoch yet: the network is drawn at the parameters after one' })
        return
      }
      const view = await options.networkAt(latest.settings, latest.params, sample)
      if (E.isLeft(view)) sendError(res, { status: 400, message: view.left })
      else sendJson(res, 200, { run: latest.run, epoch: latest.epoch, ...view.right })
    },

    runGraph: async (_req, res) => {
      const { settings } = runs.status()
      if (settings === null) sendError(res, { status: 404, message: 'no run has been started yet' })
      else await drawGraph(res, settings)
    },
  }
}
