import type { Worker } from 'node:worker_threads'
import { mailed, newDoorbell, ring } from './doorbell.js'
import { spawnWorker } from './entry.js'
import { MAX_RUN_ID } from './layout.js'
import type { LoadMessage, Reply, RowsInPlace, StagedFault } from './protocol.js'

/**
 * Test hooks of a pool: see the worker threads it starts and posts to, and
 * stage a failure in one of them.
 *
 * @internal
 */
export interface PoolHooks {
  /** Called with every worker thread started, with its slot. */
  readonly onSpawn?: (slot: number, worker: Worker) => void
  /** Called right after a worker is given a run, by a message or its doorbell (e.g. to terminate it mid-run). */
  readonly onRunPosted?: (slot: number, worker: Worker, run: number) => void
  /** How long the workers wait at their doorbells after a run (see `PARK_MS`). */
  readonly parkMs?: number
  /** Workers started in slot `slot` exit, throw, hang or stall at their `atRun`-th run. */
  readonly fault?: StagedFault & { readonly slot: number }
}

/**
 * What one worker made of one run: done (its outputs are in the run
 * buffer), or failed for a one-line reason.
 *
 * @internal
 */
export type ShardResult = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * A run posted to a worker: its id (what the worker stores in its control
 * word when done), whether the run message went out at all, and the
 * worker's answer, which never rejects.
 *
 * @internal
 */
export interface PostedRun {
  readonly id: number
  readonly sent: boolean
  readonly result: Promise<ShardResult>
}

/** A started worker thread and what it is doing. */
interface Live {
  readonly worker: Worker
  /** Its doorbell (see `doorbell.ts`). */
  readonly door: Int32Array
  /** The buffers of the last run message posted for each executable: runs on the same ones may ring instead. */
  readonly lastRuns: Map<number, { readonly buffer: SharedArrayBuffer; readonly rows: readonly RowsInPlace[] }>
  /** Runs posted and not yet answered, by run id. */
  readonly pending: Map<number, (result: ShardResult) => void>
  /** Executables whose load message it has been sent. */
  readonly loaded: Set<number>
  /** The uncaught error it reported, if any: the reason given when it exits. */
  error?: string
  exited: boolean
}

const oneLine = (text: string): string => text.split('\n')[0]!.trim()

/**
 * A fixed number of worker slots shared by every executable of one backend.
 * Slot 0 stands for the calling thread, which computes shard 0 itself: no
 * thread is ever started in it.
 *
 * A slot's worker thread starts when first needed and is replaced by a fresh
 * one when it dies (the failed run fails; later runs use the new thread,
 * which is sent the executables' shard graphs again). Executables hold a
 * lease; when the last lease is released every thread is terminated, so
 * none outlives the executables that use it. Idle threads are `unref`ed, so
 * they never keep the process alive; a thread with a run in flight is
 * `ref`ed, so awaiting a run does.
 *
 * @internal
 */
export class WorkerPool {
  private readonly slots: (Live | undefined)[]
  private readonly loads: Map<number, LoadMessage>[]
  private readonly started = new Set<Worker>()
  private leases = 0
  /** Whether {@link WorkerPool.start} holds a lease. */
  private holding = false
  private lastRun = 0

  constructor(
    /** The number of slots, the calling thread's slot 0 included. */
    readonly size: number,
    private readonly hooks: PoolHooks = {},
  ) {
    this.slots = Array.from({ length: size }, () => undefined)
    this.loads = Array.from({ length: size }, () => new Map())
  }

  /** Worker threads started and not yet exited (terminating ones included). */
  get running(): number {
    return this.started.size
  }

  /**
   * Starts the thread of every slot that has none, and takes a lease of
   * the pool's own, once, which {@link WorkerPool.stop} returns: the
   * threads then stay up between executables.
   */
  start(): void {
    if (!this.holding) {
      this.holding = true
      this.acquire()
    }
    for (let slot = 1; slot < this.size; slot++) this.ensure(slot)
  }

  /** Returns the lease {@link WorkerPool.start} took, if it took one: threads end with the last executable. */
  async stop(): Promise<void> {
    if (!this.holding) return
    this.holding = false
    await this.release()
  }

  /** Takes a lease: threads stay up until every lease is released. */
  acquire(): void {
    this.leases += 1
  }

  /** Returns a lease; the last one terminates every thread and resolves once they have exited. */
  async release(): Promise<void> {
    this.leases -= 1
    if (this.leases > 0) return
    const lives = this.slots.filter((l): l is Live => l !== undefined)
    // Detach first, so that a compile racing with the shutdown starts fresh threads.
    this.slots.fill(undefined)
    // Referenced while they end, so that the process waits for the exits that `dispose` promises.
    await Promise.all(
      lives.map((l) => {
        l.worker.ref()
        return l.worker.terminate()
      }),
    )
  }

  /**
   * Registers executable `exe`'s shard graph for slot `slot` (1 or more)
   * and sends it to the slot's thread (starting it); false when there is no
   * thread to send it to (it could not start, or the message could not be
   * posted).
   */
  load(slot: number, message: LoadMessage): boolean {
    this.loads[slot]!.set(message.exe, message)
    // Starts the thread if there is none, so that it loads while the caller prepares its first run; a new thread is sent every registered graph.
    const live = this.ensure(slot)
    if (typeof live === 'string') return false
    return live.loaded.has(message.exe) || this.post(live, message)
  }

  /** Forgets executable `exe` in slot `slot`. */
  unload(slot: number, exe: number): void {
    this.loads[slot]!.delete(exe)
    const live = this.slots[slot]
    if (live !== undefined && live.loaded.delete(exe)) {
      live.lastRuns.delete(exe)
      this.post(live, { type: 'unload', exe })
    }
  }

  /** Runs executable `exe` in slot `slot` (1 or more) on the feeds in `buffer`, and any batch inputs in place in `rows`. */
  run(slot: number, exe: number, buffer: SharedArrayBuffer, rows?: readonly RowsInPlace[]): PostedRun {
    // Run ids are positive, so that minus an id (a failure in the control word) never equals an id.
    this.lastRun = this.lastRun >= MAX_RUN_ID ? 1 : this.lastRun + 1
    const id = this.lastRun
    const unsent = (reason: string): PostedRun => ({ id, sent: false, result: Promise.resolve({ ok: false, reason }) })
    if (slot < 1) return unsent(`internal error: slot ${slot} has no thread`)
    const live = this.ensure(slot)
    if (typeof live === 'string') return unsent(live)
    if (!live.loaded.has(exe)) return unsent(`internal error: executable ${exe} is not loaded`)
    let sent = false
    const result = new Promise<ShardResult>((resolve) => {
      live.pending.set(id, resolve)
      if (live.pending.size === 1) live.worker.ref()
      sent = this.ringOrPost(live, exe, id, buffer, rows ?? [])
      if (sent) this.hooks.onRunPosted?.(slot, live.worker, id)
    })
    return { id, sent, result }
  }

  /**
   * Settles run `id` in slot `slot` as done, without its reply: for a run
   * whose control word said so, whose worker then sends no reply.
   */
  claim(slot: number, id: number): void {
    const live = this.slots[slot]
    if (live !== undefined) this.settle(live, id, { ok: true })
  }

  /**
   * Starts run `id` of `exe` in `live`'s thread: by its doorbell when the
   * thread waits there and the run reads the buffers of the last run
   * posted for `exe`, by a message otherwise.
   */
  private ringOrPost(live: Live, exe: number, id: number, buffer: SharedArrayBuffer, rows: readonly RowsInPlace[]): boolean {
    const last = live.lastRuns.get(exe)
    const same =
      last !== undefined &&
      last.buffer === buffer &&
      last.rows.length === rows.length &&
      last.rows.every((r, i) => r.name === rows[i]!.name && r.buffer === rows[i]!.buffer && r.byteOffset === rows[i]!.byteOffset)
    if (same && ring(live.door, exe, id)) return true
    live.lastRuns.set(exe, { buffer, rows })
    return this.post(live, rows.length === 0 ? { type: 'run', exe, run: id, buffer } : { type: 'run', exe, run: id, buffer, rows })
  }

  /** Posts `message` (waking the thread should it wait at its doorbell); a message that cannot be posted fails the thread's pending runs. */
  private post(live: Live, message: Parameters<Worker['postMessage']>[0]): boolean {
    try {
      live.worker.postMessage(message)
      mailed(live.door)
      if ((message as LoadMessage).type === 'load') live.loaded.add((message as LoadMessage).exe)
      return true
    } catch (e) {
      this.failAll(live, `cannot send it a message: ${oneLine(e instanceof Error ? e.message : String(e))}`)
      return false
    }
  }

  private settle(live: Live, run: number, result: ShardResult): void {
    const resolve = live.pending.get(run)
    if (resolve === undefined) return
    live.pending.delete(run)
    if (live.pending.size === 0 && !live.exited) live.worker.unref()
    resolve(result)
  }

  private failAll(live: Live, reason: string): void {
    for (const run of [...live.pending.keys()]) this.settle(live, run, { ok: false, reason })
  }

  /** The slot's live thread, started (and sent every registered shard graph) if there is none; or why it cannot start. */
  private ensure(slot: number): Live | string {
    const existing = this.slots[slot]
    if (existing !== undefined) return existing
    const { fault } = this.hooks
    let worker: Worker
    const door = newDoorbell()
    try {
      worker = spawnWorker({
        door: door.buffer as SharedArrayBuffer,
        ...(this.hooks.parkMs === undefined ? {} : { parkMs: this.hooks.parkMs }),
        ...(fault?.slot === slot ? { fault: { atRun: fault.atRun, kind: fault.kind } } : {}),
      })
    } catch (e) {
      return `could not start: ${oneLine(e instanceof Error ? e.message : String(e))}`
    }
    const live: Live = { worker, door, lastRuns: new Map(), pending: new Map(), loaded: new Set(), exited: false }
    this.started.add(worker)
    worker.on('message', (reply: Reply) =>
      this.settle(live, reply.run, reply.type === 'done' ? { ok: true } : { ok: false, reason: reply.message }),
    )
    worker.on('error', (e: unknown) => {
      live.error ??= `threw ${oneLine(e instanceof Error ? `${e.name}: ${e.message}` : String(e))}`
    })
    worker.on('messageerror', (e: unknown) => {
      live.error ??= `sent a message that cannot be read: ${oneLine(e instanceof Error ? e.message : String(e))}`
      void worker.terminate()
    })
    worker.on('exit', (code: number) => {
      live.exited = true
      this.started.delete(worker)
      if (this.slots[slot] === live) this.slots[slot] = undefined
      this.failAll(live, live.error ?? `exited with code ${code} before answering`)
    })
    worker.unref()
    this.slots[slot] = live
    this.hooks.onSpawn?.(slot, worker)
    for (const message of this.loads[slot]!.values()) this.post(live, message)
    return live
  }
}
