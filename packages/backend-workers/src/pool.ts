import type { Worker } from 'node:worker_threads'
import type { TensorData } from '@backprop/backend'
import { spawnWorker } from './entry.js'
import type { LoadMessage, Reply, StagedFault } from './protocol.js'

/**
 * Test hooks of a pool: see the worker threads it starts and posts to, and
 * stage a failure in one of them.
 *
 * @internal
 */
export interface PoolHooks {
  /** Called with every worker thread started, with its slot. */
  readonly onSpawn?: (slot: number, worker: Worker) => void
  /** Called right after a run message is posted to a worker (e.g. to terminate it mid-run). */
  readonly onRunPosted?: (slot: number, worker: Worker, run: number) => void
  /** Workers started in slot `slot` exit or throw at their `atRun`-th run. */
  readonly fault?: StagedFault & { readonly slot: number }
}

/**
 * What one worker made of one run: the outputs, or a one-line reason.
 *
 * @internal
 */
export type ShardResult =
  | { readonly ok: true; readonly outputs: readonly TensorData[] }
  | { readonly ok: false; readonly reason: string }

/** A started worker thread and what it is doing. */
interface Live {
  readonly worker: Worker
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
  private lastRun = 0

  constructor(
    /** The number of worker slots. */
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
    await Promise.all(lives.map((l) => l.worker.terminate()))
  }

  /** Registers executable `exe`'s shard graph for slot `slot` and sends it to the slot's thread (starting it). */
  load(slot: number, message: LoadMessage): void {
    this.loads[slot]!.set(message.exe, message)
    const live = this.slots[slot]
    if (live === undefined) {
      // Start the thread now, so that it loads while the caller prepares its first run.
      this.ensure(slot)
      return
    }
    if (!live.loaded.has(message.exe)) this.post(live, message)
  }

  /** Forgets executable `exe` in slot `slot`. */
  unload(slot: number, exe: number): void {
    this.loads[slot]!.delete(exe)
    const live = this.slots[slot]
    if (live !== undefined && live.loaded.delete(exe)) this.post(live, { type: 'unload', exe })
  }

  /** Runs executable `exe` in slot `slot` on the feeds in `buffer`. Never rejects. */
  run(slot: number, exe: number, buffer: SharedArrayBuffer): Promise<ShardResult> {
    const live = this.ensure(slot)
    if (typeof live === 'string') return Promise.resolve({ ok: false, reason: live })
    if (!live.loaded.has(exe)) return Promise.resolve({ ok: false, reason: `internal error: executable ${exe} is not loaded` })
    const run = ++this.lastRun
    return new Promise<ShardResult>((resolve) => {
      live.pending.set(run, resolve)
      if (live.pending.size === 1) live.worker.ref()
      if (!this.post(live, { type: 'run', exe, run, buffer })) return
      this.hooks.onRunPosted?.(slot, live.worker, run)
    })
  }

  /** Posts `message`; a message that cannot be posted fails the thread's pending runs. */
  private post(live: Live, message: Parameters<Worker['postMessage']>[0]): boolean {
    try {
      live.worker.postMessage(message)
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
    try {
      worker = spawnWorker(fault?.slot === slot ? { fault: { atRun: fault.atRun, kind: fault.kind } } : {})
    } catch (e) {
      return `could not start: ${oneLine(e instanceof Error ? e.message : String(e))}`
    }
    const live: Live = { worker, pending: new Map(), loaded: new Set(), exited: false }
    this.started.add(worker)
    worker.on('message', (reply: Reply) =>
      this.settle(live, reply.run, reply.type === 'done' ? { ok: true, outputs: reply.outputs } : { ok: false, reason: reply.message }),
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
