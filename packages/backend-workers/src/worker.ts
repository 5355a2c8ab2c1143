// The worker thread: compiles shard graphs on the CPU backend and runs them
// on views of the shared feed buffer. Started by `spawnWorker`; it does
// nothing when imported anywhere else.
import { parentPort, workerData } from 'node:worker_threads'
import type { TensorData } from '@backprop/backend'
import { cpuBackend, type CpuExecutable } from '@backprop/backend-cpu'
import { fromJson } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { readFeeds } from './layout.js'
import type { FeedView, LoadMessage, Reply, Request, RunMessage, WorkerSetup } from './protocol.js'

type Loaded = { readonly exe: CpuExecutable; readonly feeds: readonly FeedView[] } | { readonly error: string }

const setup = (workerData ?? {}) as WorkerSetup
// The main thread has validated the feeds already.
const backend = cpuBackend({ validateFeeds: false })
const loaded = new Map<number, Loaded>()
let runs = 0

const load = (message: LoadMessage): Loaded => {
  const read = fromJson(message.graph)
  if (E.isLeft(read)) return { error: `the shard graph does not load: ${read.left.message}` }
  const compiled = backend.compile(read.right.graph, read.right.outputs)
  if (E.isLeft(compiled)) return { error: `the shard graph does not compile: ${compiled.left.message}` }
  const needed = new Set(compiled.right.feeds.filter((f) => f.required).map((f) => f.name))
  return { exe: compiled.right, feeds: message.feeds.filter((f) => needed.has(f.name)) }
}

/**
 * An output array whose buffer can be handed over as it is: it must own a
 * whole, unshared buffer that no other output of the run uses; otherwise a
 * copy is sent.
 */
const transferable = (data: TensorData, taken: Set<ArrayBufferLike>): TensorData => {
  const own =
    data.buffer instanceof ArrayBuffer &&
    data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength &&
    !taken.has(data.buffer)
  const out = own ? data : data.slice()
  taken.add(out.buffer)
  return out
}

const run = (message: RunMessage): { reply: Reply; transfer: ArrayBuffer[] } => {
  const entry = loaded.get(message.exe)
  const failed = (why: string) => ({ reply: { type: 'failed', run: message.run, message: why } as Reply, transfer: [] })
  if (entry === undefined) return failed(`executable ${message.exe} was never loaded`)
  if ('error' in entry) return failed(entry.error)
  const result = entry.exe.runSync(readFeeds(message.buffer, entry.feeds))
  if (E.isLeft(result)) return failed(result.left.message)
  const taken = new Set<ArrayBufferLike>()
  const outputs = result.right.map((t) => transferable(t.data, taken))
  return { reply: { type: 'done', run: message.run, outputs }, transfer: outputs.map((o) => o.buffer as ArrayBuffer) }
}

const stageFault = (): void => {
  const fault = setup.fault
  if (fault === undefined || runs !== fault.atRun) return
  if (fault.kind === 'exit') process.exit(7)
  if (fault.kind === 'throw') throw new Error(`staged fault at run ${runs}`)
  for (;;) {
    // Hang until terminated.
  }
}

const port = parentPort
if (port !== null) {
  port.on('message', (message: Request) => {
    switch (message.type) {
      case 'load':
        loaded.set(message.exe, load(message))
        return
      case 'unload':
        loaded.delete(message.exe)
        return
      case 'run': {
        runs += 1
        stageFault()
        let out: ReturnType<typeof run>
        try {
          out = run(message)
        } catch (e) {
          // A kernel that throws is a bug in the CPU backend; report it with the run rather than dying.
          const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
          out = { reply: { type: 'failed', run: message.run, message: why.split('\n')[0]! }, transfer: [] }
        }
        port.postMessage(out.reply, out.transfer)
      }
    }
  })
}
