import {
  type Backend,
  type BackendError,
  type Executable,
  type Feeds,
  isStateful,
  missingFeed,
  type ParamUpdate,
  type StatefulExecutable,
  type Tensor,
} from '@backprop/backend'
import type { Graph, NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'

/**
 * A plain executable of an update graph, compiled with the updates' values
 * as its last outputs, made to hold those values as a backend that holds
 * parameters does: each run feeds the held values (a value given in the
 * feeds replaces the held one, as on a {@link StatefulExecutable}), returns
 * the requested outputs and keeps the new values for the next run. The
 * values are the run's own output arrays, never written to again, so
 * holding them costs no copy.
 */
const trainerHeld = (exec: Executable, updates: readonly ParamUpdate[], outputCount: number): StatefulExecutable => {
  const names = updates.map((u) => u.param)
  const held = new Set(names)
  let values: Record<string, Tensor> = {}
  return {
    feeds: exec.feeds.map((f) => (held.has(f.name) ? { ...f, required: false } : f)),
    outputs: exec.outputs.slice(0, outputCount),
    params: {
      names,
      read: () => {
        const missing = exec.feeds.find((f) => held.has(f.name) && values[f.name] === undefined)
        return missing === undefined ? E.right({ ...values }) : E.left(missingFeed(missing))
      },
      write: (given: Feeds) => {
        values = { ...values, ...given }
        return E.right(undefined)
      },
    },
    run: async (feeds: Feeds): Promise<E.Either<BackendError, readonly Tensor[]>> => {
      const result = await exec.run({ ...values, ...feeds })
      if (E.isLeft(result)) return result
      const next: Record<string, Tensor> = { ...values }
      names.forEach((name, j) => (next[name] = result.right[outputCount + j]!))
      values = next
      return E.right(result.right.slice(0, outputCount))
    },
    dispose: () => exec.dispose(),
  }
}

/**
 * Compiles `graph` to compute `outputs` and apply `updates` after every
 * run, on any backend: a backend that holds parameters applies them in its
 * own buffers; on any other, the same graph is compiled with the updates'
 * values as extra outputs, and the trainer holds them ({@link trainerHeld}).
 * Either way one graph computes the step, so both round alike. The first
 * executable, tried with `updates`, is let go only once the second is
 * compiled, so that a backend whose resources live as long as its
 * executables keeps them; `release` gets its disposal to await.
 *
 * @internal
 */
export const compileUpdating = (
  backend: Backend,
  graph: Graph,
  outputs: readonly NodeId[],
  updates: readonly ParamUpdate[],
  batchInputs: readonly string[],
  release: (disposal: Promise<void>) => void,
): E.Either<BackendError, StatefulExecutable> => {
  const tried = backend.compile(graph, outputs, { batchInputs, updates })
  if (E.isLeft(tried) || isStateful(tried.right)) return tried as E.Either<BackendError, StatefulExecutable>
  const fed = backend.compile(graph, [...outputs, ...updates.map((u) => u.value)], { batchInputs })
  release(tried.right.dispose())
  return E.map((exec: Executable) => trainerHeld(exec, updates, outputs.length))(fed)
}
