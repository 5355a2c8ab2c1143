import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import * as E from 'fp-ts/lib/Either.js'
import { Subject } from 'rxjs'
import { api } from './api.js'
import { isLoopbackHost, isSameOrigin, send, sendError } from './http.js'
import type { Dashboard, DashboardOptions } from './options.js'
import { runManager } from './run-manager.js'
import { runLog } from './run-log/run-log.js'
import { openRun } from './run-log/run-writer.js'
import { contentTypes, publicDir, publicPath, readPublicFile, vendorFiles } from './static-files.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/**
 * Starts the dashboard's web server on 127.0.0.1 and resolves once it
 * listens. It serves the page, the training events as Server-Sent Events at
 * `/events` (see the README for the API), and endpoints to start and stop a
 * run; one run goes at a time, and any number of browsers can watch it.
 *
 * Rejects with a one-line message when it cannot listen (e.g. the port is
 * taken).
 *
 * @example
 * ```ts
 * const dashboard = await startDashboard({ port: 8080, startRun: (settings) => E.right(trainWith(settings)) })
 * console.log(`dashboard at ${dashboard.url}`)
 * // later
 * await dashboard.close()
 * ```
 * @category Server
 */
export const startDashboard = async (options: DashboardOptions): Promise<Dashboard> => {
  const host = '127.0.0.1'
  const port = options.port ?? 8080
  const { logDir } = options
  const runs = runManager(
    options.startRun,
    options.replay,
    logDir === undefined ? undefined : (settings) => openRun(logDir, { ...settings }, 'dashboard'),
  )
  const stored = logDir === undefined ? undefined : runLog(logDir, (id) => runs.status().state === 'running' && runs.status().id === id)
  const closing$ = new Subject<void>()
  const handlers = api(runs, stored, options, closing$)
  let listening = 0

  const routes: Readonly<Record<string, Readonly<Record<string, Handler>>>> = {
    '/events': { GET: handlers.events },
    '/status': { GET: handlers.status },
    '/status/events': { GET: handlers.statusEvents },
    '/defaults': { GET: handlers.defaults },
    '/graph.svg': { GET: handlers.runGraph },
    '/graph': { POST: handlers.graph },
    '/network': { GET: handlers.network },
    '/start': { POST: handlers.start },
    '/stop': { POST: handlers.stop },
    '/validate': { POST: handlers.validate },
    '/runs': { GET: handlers.runs },
  }

  /** The routes of one stored run, `/runs/<id>`, `/runs/<id>/events` and `/runs/<id>/samples`; the id is checked by the run log. */
  const runRoute = (path: string): Readonly<Record<string, Handler>> | undefined => {
    const match = /^\/runs\/([^/]+)(\/events|\/samples)?$/.exec(path)
    if (match === null) return undefined
    const id = match[1]!
    if (match[2] === '/samples') return { GET: (req, res) => handlers.runSamples(req, res, id) }
    return match[2] === undefined
      ? { DELETE: (req, res) => handlers.deleteRun(req, res, id) }
      : { GET: (req, res) => handlers.runEvents(req, res, id) }
  }

  const serveFile = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const vendor = vendorFiles[path]
    if (vendor !== undefined) {
      send(res, 200, contentTypes[vendor.slice(vendor.lastIndexOf('.'))]!, await readFile(vendor))
      return
    }
    const file = publicPath(publicDir, path)
    const body = E.isLeft(file) ? file : await readPublicFile(publicDir, file.right)
    if (E.isLeft(body)) sendError(res, body.left)
    else send(res, 200, contentTypes[path === '/' ? '.html' : path.slice(path.lastIndexOf('.'))]!, body.right)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? ''
    if (!isLoopbackHost(req.headers.host, listening)) {
      sendError(res, { status: 403, message: 'this server answers only to 127.0.0.1 or localhost' })
      return
    }
    if (!url.startsWith('/')) {
      sendError(res, { status: 400, message: 'the path must start with /' })
      return
    }
    // The raw path, not a normalised one: a `..` in it is refused rather than resolved.
    const path = url.split(/[?#]/)[0]!
    const route = routes[path] ?? runRoute(path)
    const method = req.method ?? 'GET'
    if (route === undefined) {
      if (method === 'GET' || method === 'HEAD') await serveFile(req, res, path)
      else sendError(res, { status: 405, message: `${method} is not allowed here` })
      return
    }
    const handler = route[method]
    if (handler === undefined) {
      res.setHeader('allow', Object.keys(route).join(', '))
      sendError(res, { status: 405, message: `${path} takes ${Object.keys(route).join(' or ')}` })
      return
    }
    if (method !== 'GET' && method !== 'HEAD' && !isSameOrigin(req)) {
      sendError(res, { status: 403, message: 'requests from other sites are refused' })
      return
    }
    await handler(req, res)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug on our side or in the caller's hooks: answer, never crash the server over one request.
      const message = `internal error: ${error instanceof Error ? error.message : String(error)}`
      if (!res.headersSent) sendError(res, { status: 500, message })
      else res.destroy()
    })
  })

  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void => {
      runs.close()
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is in use (choose another with --port)`
            : `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      )
    }
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      resolve()
    })
  })
  listening = (server.address() as AddressInfo).port

  let closed: Promise<void> | undefined
  return {
    url: `http://${host}:${listening}/`,
    // Closing twice waits for the same close.
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        runs.close()
        closing$.next()
        closing$.complete()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })),
  }
}
