import type { TensorData } from '@backprop/backend'
import type { DType, GraphJson, Shape } from '@backprop/graph'

/**
 * Where one feed of a shard lies in the shared feed buffer of a run: the
 * worker reads it through a typed-array view, without a copy.
 *
 * @internal
 */
export interface FeedView {
  /** The feed's name. */
  readonly name: string
  /** Its element type. */
  readonly dtype: DType
  /** Its shape in the shard graph (m rows for a batch input). */
  readonly shape: Shape
  /** Byte offset of the shard's first element in the buffer. */
  readonly byteOffset: number
  /** Number of elements. */
  readonly length: number
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
}

/**
 * Main thread to worker: run executable `exe` on the feeds in `buffer`.
 *
 * @internal
 */
export interface RunMessage {
  readonly type: 'run'
  readonly exe: number
  /** The run's id within the pool, echoed in the reply. */
  readonly run: number
  /** The feeds, laid out as the load message's views say; shared, never copied. */
  readonly buffer: SharedArrayBuffer
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
 * Worker to main thread: the outputs of a run (their buffers transferred,
 * not copied), or why it failed.
 *
 * @internal
 */
export type Reply =
  | { readonly type: 'done'; readonly run: number; readonly outputs: readonly TensorData[] }
  | { readonly type: 'failed'; readonly run: number; readonly message: string }

/**
 * A failure a worker stages on purpose, for the tests of fault handling:
 * on its `atRun`-th run message it calls `process.exit(7)`, throws an
 * uncaught error, or hangs (busy, until it is terminated).
 *
 * @internal
 */
export interface StagedFault {
  readonly atRun: number
  readonly kind: 'exit' | 'throw' | 'hang'
}

/**
 * The `workerData` a worker starts with.
 *
 * @internal
 */
export interface WorkerSetup {
  readonly fault?: StagedFault
}
