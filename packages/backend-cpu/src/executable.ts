import type * as E from 'fp-ts/lib/Either.js'
import {
  type BackendError,
  badTensor,
  type Executable,
  type Feeds,
  isDataOf,
  type ParamStore,
  type Tensor,
  type TensorData,
  type TensorSpec,
} from '@backprop/backend'
import { sizeOf } from '@backprop/graph'

/**
 * A graph compiled for the CPU backend. Besides the asynchronous
 * {@link Executable.run} it can run synchronously, which is what the CPU does
 * anyway.
 *
 * @category Backend
 */
export interface CpuExecutable extends Executable {
  /** {@link Executable.run} without the promise: validates `feeds`, computes, returns. */
  runSync(feeds: Feeds): E.Either<BackendError, Tensor[]>
  /**
   * {@link runSync} without allocating its results: writes output `i` into
   * `into[i]`, which must be an array of that output's dtype and size (a
   * view of a shared buffer, say). Nothing is written when the run fails;
   * arrays of the wrong type or size are a `BadTensor` error.
   */
  runInto(feeds: Feeds, into: readonly TensorData[]): E.Either<BackendError, void>
  /**
   * The parameters the executable holds and updates in place, when it was
   * compiled with {@link CpuCompileOptions.updates}; see {@link ParamStore}.
   */
  readonly params?: ParamStore
  /**
   * Does once, now, the work that a compiled executable's first run would
   * otherwise do on top of its computing: writes to every page of its
   * buffers (the operating system backs a fresh page only when it is first
   * written, at a cost that can exceed the computing itself on some
   * machines) and runs every step a few times on made-up feeds and
   * parameters, which compiles each WebAssembly function (compiled when
   * first called, and recompiled optimised once it has done enough work)
   * and warms the JavaScript around them. Reads no feeds, writes no
   * outputs, and leaves no parameter held. Does nothing after the first run
   * or parameter write, whose values it would overwrite; the interpreter
   * has none.
   */
  warmUp?(): void
}

/**
 * Why `into` cannot receive the outputs of `specs` (see
 * {@link CpuExecutable.runInto}), or `undefined` when it can: one array per
 * output, of the output's dtype and size.
 *
 * @internal
 */
export const intoError = (specs: readonly TensorSpec[], into: readonly TensorData[]): BackendError | undefined => {
  if (into.length !== specs.length) return badTensor(`runInto was given ${into.length} arrays for ${specs.length} outputs`)
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!
    const data = into[i]!
    if (!isDataOf(data, spec.dtype) || data.length !== sizeOf(spec.shape)) {
      return badTensor(`runInto: output ${i} needs a ${spec.dtype} array of ${sizeOf(spec.shape)} values, not ${data.constructor.name}(${data.length})`)
    }
  }
  return undefined
}
