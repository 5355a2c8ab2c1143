import { type IncomingHttpHeaders, request as httpRequest } from 'node:http'

/** A complete HTTP response. */
export interface Response {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** What to send: `path` goes on the request line exactly as given (no normalisation), to test what the server does with it. */
export interface RequestOptions {
  readonly method?: string
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/** Sends one request to the server at `base` (`http://127.0.0.1:port/`) and reads the whole response. */
export const request = (base: string, options: RequestOptions): Promise<Response> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base)
    const req = httpRequest(
      { hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })

/** POSTs `value` as JSON. */
export const postJson = (base: string, path: string, value: unknown): Promise<Response> =>
  request(base, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) })

/** One message of an event stream: its id (if any) and its data lines joined. */
export interface SseMessage {
  readonly id: string | undefined
  readonly data: string
}

/** A plain-HTTP event-stream client that parses messages as they arrive. */
export interface SseClient {
  /** The messages so far. */
  readonly messages: () => readonly SseMessage[]
  /** Resolves with the messages once one satisfies `predicate` (checking those already received first). */
  readonly until: (predicate: (message: SseMessage) => boolean) => Promise<readonly SseMessage[]>
  /** Resolves once the response headers arrived: the server has registered the client. */
  readonly opened: Promise<{ readonly status: number; readonly contentType: string | undefined }>
  /** Drops the connection, as a closed browser tab would. */
  readonly close: () => void
}

/**
 * How an {@link sseClient} reads: at full speed, or like a client on a slow
 * link, pausing the socket after each chunk and reading the next only after
 * `pauseMs` (so the server's writes back up).
 */
export interface ReadPace {
  readonly pauseMs: number
}

/** Opens `path` on the server at `base` as an event stream. */
export const sseClient = (
  base: string,
  path = '/events',
  headers: Readonly<Record<string, string>> = {},
  pace?: ReadPace,
): SseClient => {
  const { hostname, port } = new URL(base)
  const messages: SseMessage[] = []
  const waiters: { readonly predicate: (m: SseMessage) => boolean; readonly resolve: (all: readonly SseMessage[]) => void }[] = []
  let buffer = ''
  let id: string | undefined
  let data: string[] = []
  const onLine = (line: string): void => {
    if (line === '') {
      if (data.length > 0) {
        const message = { id, data: data.join('\n') }
        messages.push(message)
        for (const waiter of waiters.filter((w) => w.predicate(message))) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(messages.slice())
        }
      }
      id = undefined
      data = []
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') data.push(value)
    else if (field === 'id') id = value
  }
  let req: ReturnType<typeof httpRequest> | undefined
  const opened = new Promise<{ status: number; contentType: string | undefined }>((resolve, reject) => {
    req = httpRequest({ hostname, port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] })
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (pace !== undefined) {
          res.pause()
          setTimeout(() => res.resume(), pace.pauseMs)
        }
        buffer += chunk
        let newline: number
        while ((newline = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, newline).replace(/\r$/, ''))
          buffer = buffer.slice(newline + 1)
        }
      })
      res.on('error', () => undefined)
    })
    req.on('error', (error) => (messages.length === 0 ? reject(error) : undefined))
    req.end()
  })
  return {
    messages: () => messages.slice(),
    until: (predicate) =>
      messages.some(predicate) ? Promise.resolve(messages.slice()) : new Promise((resolve) => waiters.push({ predicate, resolve })),
    opened,
    close: () => req?.destroy(),
  }
}

/** The training events of a list of messages, parsed. */
export const eventsOf = (messages: readonly SseMessage[]): { readonly type: string; readonly [key: string]: unknown }[] =>
  messages.map((m) => JSON.parse(m.data) as { type: string })
