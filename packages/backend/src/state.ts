import type { Either } from 'fp-ts/lib/Either.js'
import type { NodeId } from '@backprop/graph'
import type { Executable, Feeds } from './backend.js'
import type { BackendError } from './errors.js'
import type { Tensor } from './tensor.js'

/**
 * An in-place parameter update, requested through
 * {@link @backprop/backend!CompileOptions.updates | CompileOptions.updates}:
 * after every run, the parameter named `param` takes the value that node
 * `value` had in that run (computed from the parameters' values before the
 * run, like every output).
 *
 * @example
 * ```ts
 * // SGD: W <- W - lr * dE/dW, with lr an input fed every step
 * const { graph, result: next } = buildOrThrow(gradGraph, (b) =>
 *   b.sub(W, b.mul(b.input('lr'), dW)))
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
 * The parameters a {@link StatefulExecutable} holds and updates in its own
 * buffers. A run takes each held parameter from the feeds when it is given
 * there (replacing the held value), and otherwise uses the held value; a
 * parameter never given is a `MissingFeed` error. After the run's outputs
 * are computed, every held parameter takes its update's value. Nothing the
 * caller holds is ever changed: values are copied in and out.
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
 * An executable that holds parameters: what a backend that supports
 * {@link @backprop/backend!CompileOptions.updates | CompileOptions.updates}
 * returns when they are given. Its feed list marks the held parameters as
 * not `required`. A backend that cannot hold parameters returns a plain
 * {@link Executable} instead (see {@link isStateful}), and the caller falls
 * back to feeding the parameters and applying the updates itself.
 *
 * @category State
 */
export interface StatefulExecutable extends Executable {
  /** The held parameters. */
  readonly params: ParamStore
}

/**
 * True when `exe` holds parameters (it was compiled with
 * {@link @backprop/backend!CompileOptions.updates | CompileOptions.updates}
 * by a backend that supports them), so a caller can take the in-place path
 * and fall back to feeding parameters otherwise.
 *
 * @example
 * ```ts
 * const exe = backend.compile(graph, [loss], { updates })
 * if (E.isRight(exe) && isStateful(exe.right)) await exe.right.run({ x, t, lr }) // updates in place
 * ```
 * @category State
 */
export const isStateful = (exe: Executable): exe is StatefulExecutable => {
  const params = (exe as { params?: unknown }).params
  return (
    typeof params === 'object' &&
    params !== null &&
    typeof (params as ParamStore).read === 'function' &&
    typeof (params as ParamStore).write === 'function'
  )
}
