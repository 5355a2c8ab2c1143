import type { Either } from 'fp-ts/lib/Either.js'
import type { BackendError, CompileOptions, Executable, Feeds, Tensor } from '@backprop/backend'
import type { NodeId } from '@backprop/graph'

/**
 * An in-place parameter update: after every run, the parameter named
 * `param` takes the value that node `value` had in that run (computed
 * from the parameters' values before the run, like every output).
 *
 * @example
 * ```ts
 * // SGD: W <- W - lr * dE/dW, with lr an input fed every step
 * const { graph, result: next } = buildOrThrow(gradGraph, (b) =>
 *   b.sub(W, b.mul(b.input('lr', [], 'f32'), dW)))
 * const update: ParamUpdate = { param: 'W', value: next }
 * ```
 * @category State
 */
export interface ParamUpdate {
  /** The name of a `param` node of the graph. */
  readonly param: string
  /** The node whose value becomes the parameter's, with the parameter's shape and dtype. */
  readonly value: NodeId
}

/**
 * Compile options the CPU backend understands, on top of the shared
 * {@link CompileOptions}. An executable compiled with `updates` keeps the
 * updated parameters itself (see {@link ParamStore}); without them it is a
 * plain, stateless {@link Executable}.
 *
 * @category State
 */
export interface CpuCompileOptions extends CompileOptions {
  /** Parameters to update in place after every run; each parameter at most once. */
  readonly updates?: readonly ParamUpdate[]
  /**
   * Fuse elementwise chains and matrix-product epilogues (default `true`).
   * Turning it off runs one loop per op, which only tests want.
   */
  readonly fuse?: boolean
}

/**
 * The parameters an executable compiled with `updates` holds and updates in
 * its own buffers. A run takes each held parameter from the feeds when it
 * is given there (replacing the held value), and otherwise uses the held
 * value; a parameter never given is a `MissingFeed` error. After the run's
 * outputs are computed, every held parameter takes its update's value.
 * Nothing the caller holds is ever changed: values are copied in and out.
 *
 * @category State
 */
export interface ParamStore {
  /** The held parameters' names, in the graph's order. */
  readonly names: readonly string[]
  /** Copies of the held values, or `MissingFeed` for one that was never given. */
  read(): Either<BackendError, Record<string, Tensor>>
  /** Replaces held values (any subset of {@link ParamStore.names}), validated like feeds. */
  write(values: Feeds): Either<BackendError, void>
}

/**
 * An executable that holds parameters: the optional extension of
 * {@link Executable} a trainer may use when a backend offers it.
 *
 * @category State
 */
export interface StatefulExecutable extends Executable {
  /** The held parameters. */
  readonly params: ParamStore
}

/**
 * True when `exe` holds parameters (it was compiled with `updates` by a
 * backend that supports them), so a caller can take the fast path and fall
 * back to feeding parameters otherwise.
 *
 * @category State
 */
export const isStateful = (exe: Executable): exe is StatefulExecutable => {
  const params = (exe as { params?: unknown }).params
  return typeof params === 'object' && params !== null && typeof (params as ParamStore).read === 'function'
}
