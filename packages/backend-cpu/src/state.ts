import type { CompileOptions } from '@backprop/backend'

// The in-place update vocabulary is the backend interface's, so that a
// trainer knowing only `@backprop/backend` can use it; this package
// re-exports it for callers that import it from here.
export { isStateful, type ParamStore, type ParamUpdate, type StatefulExecutable } from '@backprop/backend'

/**
 * Compile options the CPU backend understands, on top of the shared
 * {@link CompileOptions}. An executable compiled with
 * {@link CompileOptions.updates} keeps the updated parameters itself (its
 * `params` is a `ParamStore`); without them it is a plain, stateless
 * executable.
 *
 * @category State
 */
export interface CpuCompileOptions extends CompileOptions {
  /**
   * Fuse elementwise chains and matrix-product epilogues (default `true`).
   * Turning it off runs one loop per op, which only tests want.
   */
  readonly fuse?: boolean
}
