import type { DType, GraphJson, Shape } from '@backprop/graph'

/**
 * A region of a run buffer, read or written through a typed-array view,
 * without a copy.
 *
 * @internal
 */
export interface BufferView {
  /** Its element type. */
  readonly dtype: DType
  /** Byte offset of its first element in the buffer. */
  readonly byteOffset: number
  /** Number of elements. */
  readonly length: number
}

/**
 * Where one feed of a shard lies in a run buffer.
 *
 * @internal
 */
export interface FeedView extends BufferView {
  /** The feed's name. */
  readonly name: string
  /** Its shape in the shard graph (m rows for a batch input). */
  readonly shape: Shape
}

/**
 * Main thread to worker: compile this shard graph for executable `exe`.
 * Sent once per executable and worker (again to a replacement worker).
 *
 * @internal
 */
export interface LoadMessage {
  readonly type: 'load'
  /** The executable's id within the pool. */
  readonly exe: number
  /** The shard graph and its outputs, as `toJson` writes them. */
  readonly graph: GraphJson
  /** The feeds the shard reads from each run's buffer. */
  readonly feeds: readonly FeedView[]
  /** Where in each run's buffer the shard writes its outputs, in the shard graph's output order. */
  readonly results: readonly BufferView[]
  /** The index of the shard's control word in an `Int32Array` over the run buffer (see `RunLayout`). */
  readonly control: number
  /**
   * Where the worker says that the shard is compiled and warmed up: it
   * stores {@link LOADED} in word `index` of an `Int32Array` over `words`
   * (or {@link LOAD_FAILED}) and notifies, so that the compiling thread can
   * wait for it (see `ShardRunner.awaitLoaded`).
   */
  readonly ready: { readonly words: SharedArrayBuffer; readonly index: number }
}

/**
 * The value of a shard's ready word (see {@link LoadMessage.ready}) once
 * the worker has compiled and warmed up the shard.
 *
 * @internal
 */
export const LOADED = 1

/**
 * The value of a shard's ready word when its graph did not load or
 * compile (its runs then fail, saying why).
 *
 * @internal
 */
export const LOAD_FAILED = -1

/**
 * Main thread to worker: run executable `exe` on the feeds in `buffer`,
 * write the outputs into `buffer` too, then store the run id in the
 * shard's control word (minus the run id if it failed) and reply.
 *
 * @internal
 */
export interface RunMessage {
  readonly type: 'run'
  readonly exe: number
  /** The run's id within the pool (a positive integer), echoed in the reply and the control word. */
  readonly run: number
  /** The run buffer, laid out as the load message says; shared, never copied. */
  readonly buffer: SharedArrayBuffer
  /**
   * The batch inputs that the caller gave in shared memory, which the
   * worker reads its rows of in place instead of from the run buffer:
   * where its rows start in which buffer, by feed name.
   */
  readonly rows?: readonly RowsInPlace[]
}

/**
 * Where a worker's rows of one batch input lie, outside the run buffer.
 *
 * @internal
 */
export interface RowsInPlace {
  readonly name: string
  readonly buffer: SharedArrayBuffer
  /** Byte offset of the worker's first row. */
  readonly byteOffset: number
}

/**
 * Main thread to worker: forget executable `exe`.
 *
 * @internal
 */
export interface UnloadMessage {
  readonly type: 'unload'
  readonly exe: number
}

/** Any message a worker receives. @internal */
export type Request = LoadMessage | RunMessage | UnloadMessage

/**
 * Worker to main thread: a run is done (its outputs are in the run
 * buffer), or why it failed. The calling thread usually knows already from
 * the control word; the reply is what it waits for when it does not.
 *
 * @internal
 */
export type Reply =
  | { readonly type: 'done'; readonly run: number }
  | { readonly type: 'failed'; readonly run: number; readonly message: string }

/**
 * A failure a worker stages on purpose, for the tests of fault handling:
 * on its `atRun`-th run message it calls `process.exit(7)`, throws an
 * uncaught error, hangs (busy, until it is terminated), or stalls (sleeps
 * for {@link STALL_MS} and then runs as usual, far behind the calling
 * thread).
 *
 * @internal
 */
export interface StagedFault {
  readonly atRun: number
  readonly kind: 'exit' | 'throw' | 'hang' | 'stall'
}

/**
 * How long a staged stall lasts: longer than the calling thread blocks for
 * a worker (see `BLOCK_MS` in `shard-run.ts`), so that the run's answer comes as a reply
 * message.
 *
 * @internal
 */
export const STALL_MS = 300

/**
 * The `workerData` a worker starts with.
 *
 * @internal
 */
export interface WorkerSetup {
  /** The worker's doorbell (see `doorbell.ts`). */
  readonly door: SharedArrayBuffer
  /** How long it waits at its doorbell after a run (tests only; `PARK_MS` by default). */
  readonly parkMs?: number
  readonly fault?: StagedFault
}
