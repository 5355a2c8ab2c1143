import type { ServerResponse } from 'node:http'
import { type Observable, interval, map, merge, takeUntil } from 'rxjs'

/**
 * One Server-Sent Events message: an optional `id:` line, one `data:` line
 * per line of `data`, and the blank line that ends the message.
 *
 * @example
 * ```ts
 * sseMessage('{"type":"step"}', '1-7') // 'id: 1-7\ndata: {"type":"step"}\n\n'
 * ```
 * @category Streaming
 */
export const sseMessage = (data: string, id?: string): string =>
  `${id === undefined ? '' : `id: ${id}\n`}${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('')}\n`

/**
 * A chunk to write to an event stream, and whether it may be left out for
 * a client that is not keeping up (step events may, epoch events may not).
 *
 * @category Streaming
 */
export interface SseChunk {
  /** The text of one or more complete SSE messages. */
  readonly text: string
  /** True if a slow client may miss it. */
  readonly droppable: boolean
}

/**
 * Streams `chunks$` to `res` as `text/event-stream` until the client goes
 * away or `closing$` emits, with a comment every `heartbeatMs` so that
 * proxies and browsers keep the connection open. Writing never waits: a
 * client whose socket is backed up misses droppable chunks until it drains,
 * so a slow client costs the server neither time nor unbounded memory.
 *
 * @category Streaming
 */
export const streamSse = (
  res: ServerResponse,
  chunks$: Observable<SseChunk>,
  closing$: Observable<unknown>,
  heartbeatMs = 15_000,
): void => {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  // A first comment sends the headers now, so that clients see the stream open before any event.
  res.write(': backprop dashboard\nretry: 2000\n\n')
  const heartbeat$ = interval(heartbeatMs).pipe(map((): SseChunk => ({ text: ': keep-alive\n\n', droppable: true })))
  const subscription = merge(chunks$, heartbeat$)
    .pipe(takeUntil(closing$))
    .subscribe({
      next: (chunk) => {
        if (res.writableEnded || (chunk.droppable && res.writableNeedDrain)) return
        res.write(chunk.text)
      },
      complete: () => res.end(),
    })
  res.on('close', () => subscription.unsubscribe())
}
