import * as E from 'fp-ts/lib/Either.js'
import type { Graph, NodeId } from '@backprop/graph'
import { describe } from 'vitest'
import type { Backend, Executable } from './backend.js'
import { internalError } from './errors.js'
import { describeConventions, describeRounding, describeStability } from './conformance/conventions.js'
import { describeExecution } from './conformance/execution.js'
import { type CaseFilter, describeOps } from './conformance/ops.js'
import { describeRandomArithmetic, describeRandomLayout } from './conformance/properties.js'
import { describeState } from './conformance/state.js'
import { describeValidation } from './conformance/validation.js'

/**
 * The parts of the conformance suite, as {@link ConformanceOptions.sections}
 * names them: `ops` (the op case table), `conventions` (kinks and ties),
 * `rounding` (float32 rounding after every op), `stability` (stable forms at large inputs),
 * `validation` (feeds and compile errors), `execution` (outputs, ownership,
 * repeated runs, disposal), `random-arithmetic` (random shapes for
 * broadcasting and reductions), `random-layout` (random shapes for
 * transposes and axis ops) and `state` (in-place updates).
 *
 * @category Conformance
 */
export type ConformanceSection =
  | 'ops'
  | 'conventions'
  | 'rounding'
  | 'stability'
  | 'validation'
  | 'execution'
  | 'random-arithmetic'
  | 'random-layout'
  | 'state'

const allSections: readonly ConformanceSection[] = [
  'ops',
  'conventions',
  'rounding',
  'stability',
  'validation',
  'execution',
  'random-arithmetic',
  'random-layout',
  'state',
]

/**
 * What one run of {@link describeBackendConformance} covers. A backend with
 * several engines (WebAssembly and JavaScript kernels, a split over worker
 * threads) runs the whole suite once on the engine every graph can take, and
 * for each other engine only the parts and op cases that reach it, so that
 * no run repeats another.
 *
 * @category Conformance
 */
export interface ConformanceOptions {
  /** The parts to run (default: all of them). */
  readonly sections?: readonly ConformanceSection[]
  /**
   * Which op cases run, decided from each case's graph (in each dtype) when
   * the suite is registered (default: all). An op none of whose cases is
   * kept registers no test.
   */
  readonly cases?: (graph: Graph, outputs: readonly NodeId[]) => boolean
}

/**
 * `backend` whose `compile` fails, with the reason `check` gives, when an
 * executable does not run on the engine a conformance run is about (a
 * WebAssembly run that fell back to JavaScript kernels, a workers run that
 * did not split): every test of the run then either reaches that engine or
 * fails.
 *
 * @example
 * ```ts
 * const wasm = reaching(cpuBackend({ simd: true }), (exe) =>
 *   statsOf(exe)?.target === 'wasm' ? undefined : 'compiled for JavaScript')
 * describeBackendConformance('cpu (WebAssembly)', () => wasm, { sections: ['ops'] })
 * ```
 * @category Conformance
 */
export const reaching = (backend: Backend, check: (exe: Executable) => string | undefined): Backend => ({
  name: backend.name,
  compile: (graph, outputs, options) => {
    const compiled = backend.compile(graph, outputs, options)
    if (E.isLeft(compiled)) return compiled
    const missed = check(compiled.right)
    if (missed === undefined) return compiled
    void compiled.right.dispose()
    return E.left(internalError(`the executable does not reach the engine under test: ${missed}`))
  },
})

/**
 * Registers the vitest suite that every backend must pass, run against the
 * backend that `make` returns. `make` is called once, when the first test
 * runs, and that backend then compiles every graph of the suite (so state
 * kept between compiles is exercised too); every executable is disposed after
 * its test. It covers:
 *
 * - every op of the graph package's op table in f32 and f64, one case table
 *   keyed by op name, so an op added to the graph package without a
 *   conformance case does not compile; expected values come from
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
 * file of the backend's package. `options` narrows a run to some parts and
 * op cases (see {@link ConformanceOptions}).
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
export const describeBackendConformance = (name: string, make: () => Backend, options: ConformanceOptions = {}): void => {
  let backend: Backend | undefined
  const shared = (): Backend => (backend ??= make())
  const sections = new Set(options.sections ?? allSections)
  const parts: { readonly [S in ConformanceSection]: () => void } = {
    ops: () => describeOps(shared, options.cases as CaseFilter | undefined),
    conventions: () => describeConventions(shared),
    rounding: () => describeRounding(shared),
    stability: () => describeStability(shared),
    validation: () => describeValidation(shared),
    execution: () => describeExecution(shared),
    'random-arithmetic': () => describeRandomArithmetic(shared),
    'random-layout': () => describeRandomLayout(shared),
    state: () => describeState(shared),
  }
  describe(`backend conformance: ${name}`, () => {
    for (const section of allSections) if (sections.has(section)) parts[section]()
  })
}
