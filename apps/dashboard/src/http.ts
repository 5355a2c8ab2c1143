import type { IncomingMessage, ServerResponse } from 'node:http'
import * as E from 'fp-ts/lib/Either.js'

/**
 * A request refused: the HTTP status and a one-line message for the JSON
 * body `{"error": message}`.
 *
 * @internal
 */
export interface HttpError {
  readonly status: number
  readonly message: string
}

/** Headers every response carries: no sniffing, no framing, nothing loaded from elsewhere. */
const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
} as const

/**
 * Writes a complete response with the security headers.
 *
 * @internal
 */
export const send = (
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Readonly<Record<string, string>> = {},
): void => {
  res.writeHead(status, {
    ...securityHeaders,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-cache',
    ...headers,
  })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

/**
 * Writes `value` as a JSON response.
 *
 * @internal
 */
export const sendJson = (res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void =>
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headers)

/**
 * Writes an {@link HttpError} as `{"error": message}`, plus any extra fields.
 *
 * @internal
 */
export const sendError = (res: ServerResponse, error: HttpError, extra: Readonly<Record<string, unknown>> = {}): void =>
  sendJson(res, error.status, { error: error.message, ...extra })

/**
 * Whether the request's `Host` header names this server on the loopback
 * interface. Refusing other names stops DNS rebinding: a page on some other
 * site whose name resolves to 127.0.0.1 would send its own name.
 *
 * @internal
 */
export const isLoopbackHost = (host: string | undefined, port: number): boolean =>
  host !== undefined && [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase())

/**
 * Whether a state-changing request may come from where it says: without an
 * `Origin` header (curl, scripts) or from this server's own page. Other
 * sites' pages are refused, so visiting one cannot start or stop a run.
 *
 * @internal
 */
export const isSameOrigin = (req: IncomingMessage): boolean => {
  const origin = req.headers.origin
  return origin === undefined || origin === `http://${req.headers.host ?? ''}`
}

/** The largest request body read: settings are a few hundred bytes. */
const maxBody = 64 * 1024

/**
 * Reads a JSON request body of at most 64 KiB. The body must be sent as
 * `application/json`, which also means a browser on another site cannot
 * send it without a CORS preflight, which this server never grants.
 *
 * @internal
 */
export const readJson = (req: IncomingMessage): Promise<E.Either<HttpError, unknown>> =>
  new Promise((resolve) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json') {
      req.resume()
      resolve(E.left({ status: 415, message: 'send the body as JSON with content-type: application/json' }))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let refused = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBody && !refused) {
        refused = true
        resolve(E.left({ status: 413, message: `the body is larger than ${maxBody} bytes` }))
      }
      if (!refused) chunks.push(chunk)
    })
    req.on('error', (error) => resolve(E.left({ status: 400, message: `could not read the body: ${error.message}` })))
    req.on('end', () => {
      if (refused) return
      const text = Buffer.concat(chunks).toString('utf8')
      if (text.trim() === '') {
        resolve(E.right({}))
        return
      }
      try {
        resolve(E.right(JSON.parse(text) as unknown))
      } catch (error) {
        resolve(E.left({ status: 400, message: `the body is not JSON: ${error instanceof Error ? error.message : String(error)}` }))
      }
    })
  })
