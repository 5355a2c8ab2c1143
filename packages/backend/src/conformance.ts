import { describe } from 'vitest'
import type { Backend } from './backend.js'
import { describeConventions } from './conformance/conventions.js'
import { describeExecution } from './conformance/execution.js'
import { describeOps } from './conformance/ops.js'
import { describeProperties } from './conformance/properties.js'
import { describeState } from './conformance/state.js'
import { describeValidation } from './conformance/validation.js'

/**
 * Registers the vitest suite that every backend must pass, run against the
 * backend that `make` returns. `make` is called once, when the first test
 * runs, and that backend then compiles every graph of the suite (so state
 * kept between compiles is exercised too); every executable is disposed after
 * its test. It covers:
 *
 * - every op of the graph package's op table in f32 and f64, one case table
 *   keyed by op name, so an op added to the graph package without a
 *   conformance case fails a test; expected values come from
 *   straightforward reference loops in the suite, never from a backend;
 * - broadcasting (scalar with tensor, row with matrix, column with row, rank
 *   3), matmul shapes including 1xN and Nx1, transposes of rank 3, reshape,
 *   broadcast, reductions over any axes with and without `keepdims`, and
 *   softmax/logSoftmax/logSumExp along every axis, also of inputs near
 *   ±1000;
 * - the conventions derivative rules rely on (`relu(0) = 0`, `sign(0) = 0`,
 *   ties of `max` go to the first operand) and float32 rounding after every
 *   op (f32 results are compared with `Math.fround`ed references at about
 *   1e-6 relative);
 * - feed validation (missing, wrong shape or dtype, unknown name) and
 *   compile-time errors;
 * - execution: outputs that are leaves, repeated or inputs, returned arrays
 *   the caller owns, feeds never mutated, repeated and overlapping runs,
 *   disposal;
 * - in-place updates (`CompileOptions.updates`), for a backend that holds
 *   parameters: four steps of a linear model with momentum and an update
 *   nonlinear in its gradient (AdaGrad) against plain loops, the
 *   `ParamStore` contract (missing, given with a run, written, read as
 *   copies, bad writes), and updates refused at compile time; a backend
 *   that does not hold parameters must still compute the outputs from fed
 *   ones.
 *
 * Import it from the `@backprop/backend/conformance` entry point, in a test
 * file of the backend's package.
 *
 * @example
 * ```ts
 * // packages/backend-cpu/src/conformance.test.ts
 * import { describeBackendConformance } from '@backprop/backend/conformance'
 * import { cpuBackend } from './index.js'
 *
 * describeBackendConformance('cpu', () => cpuBackend())
 * ```
 * @category Conformance
 */
export const describeBackendConformance = (name: string, make: () => Backend): void => {
  let backend: Backend | undefined
  const shared = (): Backend => (backend ??= make())
  describe(`backend conformance: ${name}`, () => {
    describeOps(shared)
    describeConventions(shared)
    describeValidation(shared)
    describeExecution(shared)
    describeProperties(shared)
    describeState(shared)
  })
}
