import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  type Backend,
  type BackendError,
  checkOutputs,
  type CompileOptions,
  type Feeds,
  feedSpecs,
  outputSpecs,
  type Tensor,
} from '@backprop/backend'
import type { Graph, NodeId } from '@backprop/graph'
import { type CpuExecutable, cpuExecutable } from './executable.js'
import { kernels } from './kernels/table.js'
import { makePlan } from './plan.js'

/**
 * Options of {@link cpuBackend}.
 *
 * @category Backend
 */
export interface CpuBackendOptions {
  /**
   * Validate feeds on every run (default `true`). A caller that has already
   * validated them, such as a data-parallel backend handing slices to its
   * workers, may turn this off.
   */
  readonly validateFeeds?: boolean
}

/**
 * The CPU {@link Backend}, whose `compile` returns {@link CpuExecutable}s.
 *
 * @category Backend
 */
export interface CpuBackend extends Backend {
  /** Compiles `outputs` of `graph`; see {@link Backend.compile}. */
  compile(graph: Graph, outputs: readonly NodeId[], options?: CompileOptions): E.Either<BackendError, CpuExecutable>
}

/**
 * The reference backend: kernels on `Float32Array`/`Float64Array` in the
 * main thread. An f32 graph computes in float32 arrays, so every op's result
 * is rounded to float32; an f64 graph in float64 arrays.
 *
 * @example
 * ```ts
 * const backend = cpuBackend()
 * const exe = backend.compile(graph, [y])
 * const out = E.isRight(exe) ? exe.right.runSync({ x: tensor([1, 2], [2]) }) : exe
 * ```
 * @category Backend
 */
export const cpuBackend = (options: CpuBackendOptions = {}): CpuBackend => ({
  name: 'cpu',
  compile: (graph, outputs) =>
    pipe(
      checkOutputs(graph, outputs),
      E.flatMap(() => feedSpecs(graph, outputs)),
      E.map((specs) =>
        cpuExecutable(
          makePlan(graph, outputs, kernels),
          specs,
          outputSpecs(graph, outputs),
          options.validateFeeds ?? true,
        ),
      ),
    ),
})

/**
 * Computes `outputs` of `graph` from `feeds` in one call, synchronously:
 * compile and run on the CPU backend.
 *
 * @example
 * ```ts
 * const { graph, result: y } = buildOrThrow(emptyGraph, (b) => b.square(b.input('x')))
 * evaluate(graph, [y], { x: scalarTensor(3) }) // Right([tensor 9])
 * ```
 * @category Backend
 */
export const evaluate = (graph: Graph, outputs: readonly NodeId[], feeds: Feeds): E.Either<BackendError, Tensor[]> =>
  pipe(
    cpuBackend().compile(graph, outputs),
    E.flatMap((exe) => exe.runSync(feeds)),
  )
