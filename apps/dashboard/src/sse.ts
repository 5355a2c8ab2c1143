import type { ServerResponse } from 'node:http'
import { type Observable, takeUntil } from 'rxjs'

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
 * How {@link streamSse} writes the items of a stream: the SSE text of one
 * item, and whether a client that is not keeping up may miss it (live step
 * events may, epoch events and anything replayed may not).
 *
 * @category Streaming
 */
export interface SseEncoding<T> {
  /** The complete SSE message (or messages) for `item`, made when it is written. */
  readonly message: (item: T) => string
  /** True if a slow client may miss `item`: only the latest such item waits for it. */
  readonly droppable: (item: T) => boolean
}

/**
 * A client's queue of items not yet written, paced by its socket: items are
 * written while the socket takes them and the rest wait for `drain`. Items
 * that must arrive all wait; of the droppable ones, only the latest waits
 * (a newer one replaces it while it is last in line), so a slow client gets
 * every kept event and the freshest of the others. The queue holds the
 * items themselves, which are shared by every client, and encodes an item
 * only when it is written: a client that joins late and reads slowly costs
 * memory for its place in line, not for a copy of the run as text.
 */
class PacedWriter<T> {
  private queue: T[] = []
  private head = 0
  private ending = false

  constructor(
    private readonly res: ServerResponse,
    private readonly encoding: SseEncoding<T>,
  ) {
    res.on('drain', () => this.pump())
  }

  /** Whether nothing waits and the socket takes more now. */
  get idle(): boolean {
    return this.head === this.queue.length && !this.res.writableNeedDrain
  }

  offer(item: T): void {
    const last = this.queue.length - 1
    if (this.encoding.droppable(item) && last >= this.head && this.encoding.droppable(this.queue[last]!)) this.queue[last] = item
    else this.queue.push(item)
    this.pump()
  }

  /** Ends the response once everything waiting is written. */
  end(): void {
    this.ending = true
    this.pump()
  }

  private pump(): void {
    const { res } = this
    while (this.head < this.queue.length && !res.writableNeedDrain && !res.writableEnded && !res.destroyed) {
      const item = this.queue[this.head]!
      this.queue[this.head++] = undefined as T
      res.write(this.encoding.message(item))
    }
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      // Drop the written prefix now and then, so a long line costs no more than what still waits.
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    if (this.ending && this.head === this.queue.length && !res.writableEnded) res.end()
  }
}

/**
 * Streams `items$` to `res` as `text/event-stream` until the client goes
 * away or `closing$` emits, with a comment every `heartbeatMs` so that
 * proxies and browsers keep the connection open.
 *
 * Writing is paced by the client's socket and never holds up `items$`:
 * what the socket does not take at once waits in the client's own queue
 * (see {@link SseEncoding}), so every item that is not droppable arrives,
 * in order, however slowly the client reads, and a slow client misses only
 * droppable items that a newer one replaced.
 *
 * @example
 * ```ts
 * streamSse(res, status$, { message: (s) => sseMessage(JSON.stringify(s)), droppable: () => false }, closing$)
 * ```
 * @category Streaming
 */
export const streamSse = <T>(
  res: ServerResponse,
  items$: Observable<T>,
  encoding: SseEncoding<T>,
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
  const writer = new PacedWriter(res, encoding)
  // A keep-alive is only needed on a quiet line, so it never queues behind events.
  const heartbeat = setInterval(() => writer.idle && res.write(': keep-alive\n\n'), heartbeatMs)
  const subscription = items$.pipe(takeUntil(closing$)).subscribe({
    next: (item) => writer.offer(item),
    complete: () => writer.end(),
  })
  res.on('close', () => {
    clearInterval(heartbeat)
    subscription.unsubscribe()
  })
}
