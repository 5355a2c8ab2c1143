import type { Either } from 'fp-ts/lib/Either.js'
import type { DType, Graph, NodeId, Shape } from '@backprop/graph'
import type { BackendError } from './errors.js'
import type { ParamUpdate } from './state.js'
import type { Tensor } from './tensor.js'

/**
 * The values to run a graph on: one tensor per `input` and `param` node,
 * addressed by the node's name. Backends never mutate them.
 *
 * @category Backend
 */
export type Feeds = Readonly<Record<string, Tensor>>

/**
 * Shape and element type of a tensor without its values.
 *
 * @category Backend
 */
export interface TensorSpec {
  /** One extent per axis. */
  readonly shape: Shape
  /** The element type. */
  readonly dtype: DType
}

/**
 * A named value an executable accepts: an `input` or `param` node of the
 * graph it was compiled from.
 *
 * @category Backend
 */
export interface FeedSpec extends TensorSpec {
  /** The name the feed is addressed by. */
  readonly name: string
  /** Whether the node is a fed input or a trainable parameter. */
  readonly kind: 'input' | 'param'
  /**
   * True when some requested output depends on the feed, so `run` needs it.
   * A feed that is not required may still be given (a trainer passes the
   * same feeds to every executable of one graph); it is then ignored.
   */
  readonly required: boolean
}

/**
 * Options for {@link Backend.compile}. An open record: each backend reads the
 * fields it understands and ignores the rest, so callers can pass one options
 * object to any backend.
 *
 * @category Backend
 */
export interface CompileOptions {
  /**
   * Names of feeds whose first axis is the batch axis. A data-parallel
   * backend (workers) splits these along axis 0 and runs the pieces in
   * parallel; other backends ignore the field.
   */
  readonly batchInputs?: readonly string[]
  /**
   * Parameters to update in place after every run, each at most once (see
   * {@link ParamUpdate}). A backend that can hold parameters returns a
   * {@link StatefulExecutable}; one that cannot ignores the field and returns
   * a plain executable of the same outputs, which is not stateful (see
   * {@link isStateful}), so the caller can tell and fall back to feeding the
   * parameters and applying the updates itself.
   */
  readonly updates?: readonly ParamUpdate[]
  /** Any other backend-specific option. */
  readonly [option: string]: unknown
}

/**
 * A graph compiled for a backend, ready to run many times.
 *
 * @category Backend
 */
export interface Executable {
  /**
   * Every `input` and `param` node of the graph, in id order; those the
   * outputs depend on are marked `required`. A feed name not listed here is
   * an `UnknownFeed` error.
   */
  readonly feeds: readonly FeedSpec[]
  /** Shape and dtype of each requested output, in request order. */
  readonly outputs: readonly TensorSpec[]
  /**
   * Computes the requested outputs from `feeds`, in request order. Feeds are
   * validated first (see {@link checkFeeds}); the promise resolves to a
   * `Left` for a user mistake and never rejects for one. Every returned
   * tensor has fresh data that the caller owns (a repeated output gives two
   * separate arrays), and `feeds` are never mutated. Runs may overlap.
   */
  run(feeds: Feeds): Promise<Either<BackendError, readonly Tensor[]>>
  /**
   * Does now, where a backend has such work, what would otherwise slow its
   * first runs down: backing fresh memory, compiling code lazily compiled
   * at first use, warming a JIT. Optional; no effect on any result, and
   * nothing after the first run or parameter write. A caller that compiles
   * ahead of a timed loop (the trainer, before its first epoch) calls it
   * so that the loop's first run costs what the later ones do.
   */
  warmUp?(): void
  /**
   * Releases whatever the executable holds (workers, buffers). Idempotent;
   * a later `run` resolves to a `Disposed` error.
   */
  dispose(): Promise<void>
}

/**
 * Something that runs graphs: compiles a graph and the outputs wanted from it
 * into an {@link Executable}. The trainer and the apps know only this
 * interface; the `@backprop/backend/conformance` suite states what every
 * implementation must do.
 *
 * @example
 * ```ts
 * const exe = backend.compile(graph, [loss])
 * if (E.isRight(exe)) {
 *   const values = await exe.right.run({ x: tensor([1, 2], [2]) })
 * }
 * ```
 * @category Backend
 */
export interface Backend {
  /** A short name for messages and CLI flags, e.g. `cpu`. */
  readonly name: string
  /**
   * Prepares `graph` to compute `outputs` (node ids, possibly repeated). Fails
   * with `UnknownOutput` for an id that is not in the graph and
   * `FeedConflict` when an input and a param share a name.
   */
  compile(graph: Graph, outputs: readonly NodeId[], options?: CompileOptions): Either<BackendError, Executable>
  /**
   * True for a backend whose runs read batch inputs (see
   * {@link CompileOptions.batchInputs}) given in `SharedArrayBuffer` memory
   * where they are, from other threads, rather than copying them first: a
   * caller that refills one array per batch input (a training loop) saves a
   * copy per run by making that array shared, and then must leave it as it
   * is until the run resolves. Absent (false) elsewhere, where a plain array
   * is copied fastest.
   */
  readonly sharedBatchInputs?: boolean
}
