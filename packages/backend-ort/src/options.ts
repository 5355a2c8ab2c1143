import * as E from 'fp-ts/lib/Either.js'
import type { InferenceSession } from 'onnxruntime-node'

/**
 * Options of {@link @backprop/backend-ort!ortBackend}.
 *
 * @category Backend
 */
export interface OrtBackendOptions {
  /**
   * Intra-op threads, the threads one operator (a matrix product) is split
   * over (default 1). Runs of the training step are sequential, so there
   * are no inter-op threads.
   */
  readonly threads?: number
  /**
   * Let idle intra-op threads spin waiting for work (default `false`).
   * Spinning saves a wake-up per operator on an idle machine and costs a
   * busy-waiting core; measured off, it was faster on a shared machine.
   */
  readonly spinning?: boolean
  /** ONNX Runtime's graph optimisation level (default `all`). */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'
  /**
   * Execution providers in order of preference (default `['cpu']`): e.g.
   * `['cuda', 'cpu']` on a machine with the CUDA build of ONNX Runtime and
   * its libraries installed (see the package README). Operators a provider
   * cannot run fall back to the next one.
   */
  readonly executionProviders?: readonly InferenceSession.ExecutionProviderConfig[]
}

/** The ONNX Runtime session options for the backend options. */
export const sessionOptions = (options: OrtBackendOptions): InferenceSession.SessionOptions => ({
  intraOpNumThreads: options.threads ?? 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  // Warnings only (shape merges of empty tensors) would reach the user's terminal; errors reach the caller.
  logSeverityLevel: 3,
  graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
  executionProviders: [...(options.executionProviders ?? ['cpu'])],
  extra: { session: { intra_op: { allow_spinning: options.spinning === true ? '1' : '0' } } },
})

/** The most intra-op threads `ort:T` accepts. */
const MAX_THREADS = 256

/**
 * Reads a CLI backend spec: `ort` (one intra-op thread) or `ort:T`.
 *
 * @example
 * ```ts
 * parseOrtSpec('ort:2') // Right({ threads: 2 })
 * parseOrtSpec('ort:0') // Left("invalid thread count '0' in 'ort:0': expected an integer from 1 to 256")
 * pipe(parseOrtSpec(name), E.map(ortBackend))
 * ```
 * @category Backend
 */
export const parseOrtSpec = (spec: string): E.Either<string, OrtBackendOptions> => {
  if (spec === 'ort') return E.right({})
  if (!spec.startsWith('ort:')) return E.left(`'${spec}' is not an ort backend (expected ort or ort:T)`)
  const count = spec.slice('ort:'.length)
  const n = Number(count)
  if (!/^[0-9]+$/.test(count) || n < 1 || n > MAX_THREADS) {
    return E.left(`invalid thread count '${count}' in '${spec}': expected an integer from 1 to ${MAX_THREADS}`)
  }
  return E.right({ threads: n })
}
