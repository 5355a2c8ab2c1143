import type { Backend, BackendError, Executable, Feeds, Tensor } from '@backprop/backend'
import { type CpuBackend, cpuBackend } from '@backprop/backend-cpu'
import { type Graph, type NodeId, orThrow, type TaggedError } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { type Args, feedsOf } from './args.js'

/**
 * A backend whose executables also run synchronously (`runSync`), as the
 * CPU backend's do: functions compiled for it return their results
 * directly instead of a promise.
 *
 * @category Functions
 */
export interface SyncBackend extends Backend {
  /** As {@link Backend.compile}, with executables that have `runSync`. */
  compile(
    ...args: Parameters<Backend['compile']>
  ): E.Either<BackendError, Executable & { runSync(feeds: Feeds): E.Either<BackendError, readonly Tensor[]> }>
}

/**
 * The parts every compiled function has besides being callable.
 *
 * @category Functions
 */
export interface CompiledParts {
  /** The graph it runs (forward and derivative nodes). */
  readonly graph: Graph
  /** The nodes it computes, in the order it reads them back. */
  readonly outputs: readonly NodeId[]
  /** The names of its arguments, in graph order. */
  readonly args: readonly string[]
  /** Releases what the backend holds for it (worker threads, buffers); idempotent. */
  dispose(): Promise<void>
}

/**
 * A function compiled once for a synchronous backend (the CPU backend, the
 * default): calling it returns its result, or throws a `BackpropError`;
 * `either` is the same call returning the error as a `Left` instead.
 *
 * @category Functions
 */
export interface SyncFn<R> extends CompiledParts {
  /** Runs the function; throws a `BackpropError` on bad arguments. */
  (args: Args): R
  /** Runs the function; bad arguments are a `Left` with the same message. */
  either(args: Args): E.Either<TaggedError, R>
}

/**
 * A function compiled once for any backend: calling it resolves to its
 * result, or rejects with a `BackpropError`; `either` resolves to the
 * error as a `Left` instead.
 *
 * @category Functions
 */
export interface AsyncFn<R> extends CompiledParts {
  /** Runs the function; rejects with a `BackpropError` on bad arguments. */
  (args: Args): Promise<R>
  /** Runs the function; bad arguments are a `Left` with the same message. */
  either(args: Args): Promise<E.Either<TaggedError, R>>
}

/**
 * What a compiled function is for backend `B`: synchronous for a
 * {@link SyncBackend}, promise-returning for any other.
 *
 * @category Functions
 */
export type FnFor<B extends Backend, R> = B extends SyncBackend ? SyncFn<R> : AsyncFn<R>

/**
 * Options every compiled function takes.
 *
 * @category Functions
 */
export interface CompileFnOptions<B extends Backend = CpuBackend> {
  /** Where it runs; `cpuBackend()` by default. */
  readonly backend?: B
  /** The dtype of its inputs and constants; `f64` by default. */
  readonly dtype?: 'f32' | 'f64'
}

const isSync = (exe: Executable): exe is Executable & { runSync(feeds: Feeds): E.Either<BackendError, readonly Tensor[]> } =>
  typeof (exe as { runSync?: unknown }).runSync === 'function'

/**
 * Compiles `outputs` of `graph` on `backend` once and wraps the executable
 * as a function of {@link Args}, whose results `decode` turns into `R`.
 *
 * @internal
 */
export const compileFn = <B extends Backend, R>(
  graph: Graph,
  outputs: readonly NodeId[],
  backend: B | undefined,
  decode: (values: readonly Tensor[]) => R,
): E.Either<TaggedError, FnFor<B, R>> => {
  const compiled = (backend ?? cpuBackend()).compile(graph, outputs)
  if (E.isLeft(compiled)) return compiled
  const exe = compiled.right
  const parts: CompiledParts = { graph, outputs, args: exe.feeds.map((f) => f.name), dispose: () => exe.dispose() }
  const decoded = E.map(decode)
  if (isSync(exe)) {
    const either = (args: Args): E.Either<TaggedError, R> => {
      const feeds = feedsOf(args, exe.feeds)
      return E.isLeft(feeds) ? feeds : decoded(exe.runSync(feeds.right))
    }
    const fn = Object.assign((args: Args) => orThrow(either(args)), { either }, parts)
    return E.right(fn as unknown as FnFor<B, R>)
  }
  const either = async (args: Args): Promise<E.Either<TaggedError, R>> => {
    const feeds = feedsOf(args, exe.feeds)
    return E.isLeft(feeds) ? feeds : decoded(await exe.run(feeds.right))
  }
  const fn = Object.assign(async (args: Args) => orThrow(await either(args)), { either }, parts)
  return E.right(fn as unknown as FnFor<B, R>)
}
