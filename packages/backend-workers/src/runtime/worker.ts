// The worker thread: compiles shard graphs on the CPU backend, runs them on
// views of the shared run buffer, and writes their outputs straight into it;
// after a run it waits at its doorbell for the next (see `doorbell.ts`).
// Started by `spawnWorker`; it does nothing when imported anywhere else.
import { parentPort, workerData } from 'node:worker_threads'
import { cpuBackend, type CpuExecutable } from '@backprop/backend-cpu'
import { fromJson } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { park } from './doorbell.js'
import { readFeeds, viewOf, WAITING } from './layout.js'
import { type BufferView, type FeedView, LOAD_FAILED, LOADED, type LoadMessage, type Reply, type Request, type RunMessage, STALL_MS, type WorkerSetup } from './protocol.js'

type Loaded =
  | { readonly exe: CpuExecutable; readonly feeds: readonly FeedView[]; readonly results: readonly BufferView[]; readonly control: number }
  | { readonly error: string; readonly control: number }

const setup = (workerData ?? {}) as WorkerSetup
// The main thread has validated the feeds already.
const backend = cpuBackend({ validateFeeds: false })
const loaded = new Map<number, Loaded>()
let runs = 0

const load = (message: LoadMessage): Loaded => {
  const read = fromJson(message.graph)
  if (E.isLeft(read)) return { error: `the shard graph does not load: ${read.left.message}`, control: message.control }
  const compiled = backend.compile(read.right.graph, read.right.outputs)
  if (E.isLeft(compiled)) return { error: `the shard graph does not compile: ${compiled.left.message}`, control: message.control }
  const needed = new Set(compiled.right.feeds.filter((f) => f.required).map((f) => f.name))
  // A shard's first run would otherwise be several times slower than the next (see `warmUp`), and a
  // split run waits for its slowest shard: done here, before the compiling thread is told the shard is ready.
  compiled.right.warmUp?.()
  return { exe: compiled.right, feeds: message.feeds.filter((f) => needed.has(f.name)), results: message.results, control: message.control }
}

/** Loads a shard graph and then tells the compiling thread, through the shard's ready word, that it is ready. */
const loadAndSignal = (message: LoadMessage): Loaded => {
  const entry = load(message)
  const words = new Int32Array(message.ready.words)
  Atomics.store(words, message.ready.index, 'error' in entry ? LOAD_FAILED : LOADED)
  Atomics.notify(words, message.ready.index)
  return entry
}

/** Runs the shard and leaves its outputs in the run buffer; the reply to send, and the control word's new value. */
const run = (message: RunMessage): { reply: Reply; control?: { index: number; value: number } } => {
  const entry = loaded.get(message.exe)
  if (entry === undefined) return { reply: { type: 'failed', run: message.run, message: `executable ${message.exe} was never loaded` } }
  const failed = (why: string) => ({ reply: { type: 'failed', run: message.run, message: why } as Reply, control: { index: entry.control, value: -message.run } })
  if ('error' in entry) return failed(entry.error)
  // Straight into this shard's region of the run buffer: nothing allocated, nothing copied afterwards.
  const result = entry.exe.runInto(
    readFeeds(message.buffer, entry.feeds, message.rows),
    entry.results.map((view) => viewOf(message.buffer, view)),
  )
  if (E.isLeft(result)) return failed(result.left.message)
  return { reply: { type: 'done', run: message.run }, control: { index: entry.control, value: message.run } }
}

const stageFault = (): void => {
  const fault = setup.fault
  if (fault === undefined || runs !== fault.atRun) return
  if (fault.kind === 'exit') process.exit(7)
  if (fault.kind === 'throw') throw new Error(`staged fault at run ${runs}`)
  if (fault.kind === 'stall') {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STALL_MS)
    return
  }
  for (;;) {
    // Hang until terminated.
  }
}

const port = parentPort
if (port !== null) {
  const door = new Int32Array(setup.door)
  /** The buffers of the last run message of each executable: a rung run reads the same. */
  const lastRuns = new Map<number, Pick<RunMessage, 'buffer' | 'rows'>>()
  /** Messages read so far, to compare with the doorbell's mail count. */
  let read = 0

  /** Runs one shard and says so: the control word first, then a reply where one is needed. */
  const serve = (message: RunMessage): void => {
    runs += 1
    stageFault()
    let out: ReturnType<typeof run>
    try {
      out = run(message)
    } catch (e) {
      // A kernel that throws is a bug in the CPU backend; report it with the run rather than dying.
      const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
      const entry = loaded.get(message.exe)
      out = {
        reply: { type: 'failed', run: message.run, message: why.split('\n')[0]! },
        ...(entry === undefined ? {} : { control: { index: entry.control, value: -message.run } }),
      }
    }
    // The control word first: the calling thread is usually watching it and needs no reply, unless
    // the run failed (the reply says why) or it stopped watching and said so in the word.
    let watched = false
    if (out.control !== undefined) {
      const words = new Int32Array(message.buffer)
      watched = Atomics.exchange(words, out.control.index, out.control.value) !== WAITING
      Atomics.notify(words, out.control.index)
    }
    if (out.reply.type === 'failed' || !watched) port.postMessage(out.reply)
  }

  /** A rung run: the executable's last run message with the new run id (the calling thread rings only for such runs). */
  const rung = (exe: number, id: number): void => serve({ type: 'run', exe, run: id, ...lastRuns.get(exe)! })

  const handle = (message: Request): void => {
    read += 1
    switch (message.type) {
      case 'load':
        loaded.set(message.exe, loadAndSignal(message))
        return
      case 'unload':
        loaded.delete(message.exe)
        lastRuns.delete(message.exe)
        return
      case 'run':
        lastRuns.set(message.exe, { buffer: message.buffer, ...(message.rows === undefined ? {} : { rows: message.rows }) })
        serve(message)
        // The next run of this executable, a step later, usually comes by the doorbell.
        park(door, () => read, rung, setup.parkMs)
    }
  }

  port.on('message', handle)
}
