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

/** At most this many characters go to a socket in one write: a long replay is written in pieces, each as the socket drains. */
const chunkChars = 64 * 1024

/** The flushes waiting for the next tick of each batch interval: one timer per interval, however many clients wait. */
const due = new Map<number, (() => void)[]>()

/**
 * Calls `flush` at the next multiple of `batchMs` on the clock, with every
 * other flush due then, in one turn of the event loop: a client process
 * holding many connections then wakes once per interval, not once per
 * connection (on a busy machine each wake-up can take the CPU from the run).
 */
const atNextTick = (batchMs: number, flush: () => void): void => {
  const waiting = due.get(batchMs)
  if (waiting !== undefined) {
    waiting.push(flush)
    return
  }
  const flushes = [flush]
  due.set(batchMs, flushes)
  setTimeout(() => {
    due.delete(batchMs)
    for (const f of flushes) f()
  }, batchMs - (Date.now() % batchMs))
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
 *
 * With `batchMs` above 0, what waits is written together, at most once per
 * `batchMs`: each write is a system call and a wake-up of the client, and
 * with 50 clients a write per event and client cost a fast run more than
 * its training (see the watchers bench). Waiting also lets newer droppable
 * items replace older ones, so a client's writes do not grow with the rate
 * of events.
 */
class PacedWriter<T> {
  private queue: T[] = []
  private head = 0
  private ending = false
  private scheduled = false

  constructor(
    private readonly res: ServerResponse,
    private readonly encoding: SseEncoding<T>,
    private readonly batchMs: number,
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
    this.schedule()
  }

  /** Ends the response once everything waiting is written. */
  end(): void {
    this.ending = true
    this.pump()
  }

  /** Writes now (no batching), or at the next tick of the batch interval. */
  private schedule(): void {
    if (this.batchMs <= 0) this.pump()
    else if (!this.scheduled) {
      this.scheduled = true
      atNextTick(this.batchMs, () => {
        this.scheduled = false
        this.pump()
      })
    }
  }

  private pump(): void {
    const { res } = this
    while (this.head < this.queue.length && !res.writableNeedDrain && !res.writableEnded && !res.destroyed) {
      let text = ''
      while (this.head < this.queue.length && text.length < chunkChars) {
        text += this.encoding.message(this.queue[this.head]!)
        this.queue[this.head++] = undefined as T
      }
      res.write(text)
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
 * How {@link streamSse} paces a stream.
 *
 * @category Streaming
 */
export interface SsePacing {
  /** A comment is sent after this many ms of a quiet line, so that proxies and browsers keep it open (default 15000). */
  readonly heartbeatMs?: number
  /** What waits is written in one write at the next multiple of this many ms on the clock (default 0: each item at once). */
  readonly batchMs?: number
}

/**
 * Streams `items$` to `res` as `text/event-stream` until the client goes
 * away or `closing$` emits, with a comment after `heartbeatMs` of quiet so
 * that proxies and browsers keep the connection open.
 *
 * Writing is paced by the client's socket and never holds up `items$`:
 * what the socket does not take at once waits in the client's own queue
 * (see {@link SseEncoding}), so every item that is not droppable arrives,
 * in order, however slowly the client reads, and a slow client misses only
 * droppable items that a newer one replaced. With `batchMs`, items are
 * written in batches (see {@link SsePacing}).
 *
 * @example
 * ```ts
 * streamSse(res, status$, { message: (s) => sseMessage(JSON.stringify(s)), droppable: () => false }, closing$)
 * streamSse(res, events$, encoding, closing$, { batchMs: 50 }) // many events, many clients
 * ```
 * @category Streaming
 */
export const streamSse = <T>(
  res: ServerResponse,
  items$: Observable<T>,
  encoding: SseEncoding<T>,
  closing$: Observable<unknown>,
  { heartbeatMs = 15_000, batchMs = 0 }: SsePacing = {},
): void => {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  // A first comment sends the headers now, so that clients see the stream open before any event.
  res.write(': backprop dashboard\nretry: 2000\n\n')
  const writer = new PacedWriter(res, encoding, batchMs)
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
