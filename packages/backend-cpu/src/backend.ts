import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  type Backend,
  type BackendError,
  checkOutputs,
  checkUpdates,
  type Executable,
  type Feeds,
  type FeedSpec,
  feedSpecs,
  internalError,
  outputSpecs,
  type Tensor,
} from '@backprop/backend'
import { flopsOf, type Graph, type NodeId, orThrow } from '@backprop/graph'
import { compiledExecutable } from './compiler/executable.js'
import { lower } from './compiler/lower/lower.js'
import { layoutMemory } from './compiler/lower/memory.js'
import type { CpuExecutable } from './executable.js'
import { referenceExecutable } from './reference/interpreter.js'
import { kernels } from './reference/kernels/table.js'
import { makePlan } from './reference/plan.js'
import type { CpuCompileOptions } from './state.js'
import { buildProgram, type ProgramStats, type Target } from './compiler/target/program.js'
import { relaxedSimdSupported, simdSupported } from './compiler/wasm/support.js'

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
  /**
   * Where kernels run. `true`: WebAssembly with SIMD (f32x4 and f64x2
   * matrix products and fused loops, generated for each executable);
   * `false`: plain JavaScript loops, for hosts without WebAssembly SIMD;
   * `'auto'` (the default): WebAssembly when the host has SIMD and the graph
   * does enough work per run to repay generating a module (about 64k
   * flops), JavaScript otherwise. Every choice computes the same values up
   * to float rounding and passes the same conformance suite.
   */
  readonly simd?: boolean | 'auto'
  /**
   * Fused multiply-add in the WebAssembly matrix products, from relaxed
   * SIMD's `relaxed_madd`. `'auto'` (the default): where the host's
   * WebAssembly has relaxed SIMD (checked once; on Node 20, whose V8 keeps
   * it behind `--experimental-wasm-relaxed-simd`, the check turns that flag
   * on), plain SIMD multiply and add otherwise; `false`: never; `true`: always, and compiling fails on
   * a host without it. Either way the products agree up to float rounding
   * (a fused multiply-add rounds once instead of twice).
   */
  readonly fma?: boolean | 'auto'
}

/**
 * The CPU {@link Backend}, whose `compile` returns {@link CpuExecutable}s
 * and accepts {@link CpuCompileOptions}.
 *
 * @category Backend
 */
export interface CpuBackend extends Backend {
  /** Compiles `outputs` of `graph`; see {@link Backend.compile} and {@link CpuCompileOptions}. */
  compile(graph: Graph, outputs: readonly NodeId[], options?: CpuCompileOptions): E.Either<BackendError, CpuExecutable>
}

/** Below this many flops per run, `'auto'` stays in JavaScript. */
const wasmThreshold = 1 << 16

/**
 * The CPU backend. `compile` turns a graph into a plan once: the outputs'
 * ancestors scheduled, views instead of copies for reshapes, transposes and
 * broadcasts, elementwise chains fused into single loops, matrix products
 * (in any transposition) with their bias/activation/update epilogues, and
 * every buffer laid out by liveness in one arena, so that a run allocates
 * nothing but the arrays it returns. Kernels are WebAssembly SIMD or plain
 * JavaScript (see {@link CpuBackendOptions.simd}). An f32 graph computes in
 * float32 (every op's result rounded to float32), an f64 graph in float64.
 *
 * With {@link CpuCompileOptions.updates}, the executable keeps those
 * parameters and updates them in place after each run (see
 * {@link ParamStore}); a training step then feeds only the batch.
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
  compile: (graph, outputs, compileOptions: CpuCompileOptions = {}) =>
    pipe(
      checkOutputs(graph, outputs),
      E.flatMap(() => checkUpdates(graph, compileOptions.updates ?? [])),
      E.flatMap((updates) =>
        pipe(
          feedSpecs(graph, [...outputs, ...updates.map((u) => u.value)]),
          E.map((specs) => ({ specs, updates })),
        ),
      ),
      E.flatMap(({ specs, updates }) => {
        const held = new Set(updates.map((u) => graph.nodes[u.param]!.attrs.name!))
        const feeds: FeedSpec[] = specs.map((s) => (held.has(s.name) ? { ...s, required: false } : s))
        try {
          const lowered = lower(graph, outputs, { updates, fuse: compileOptions.fuse ?? true })
          const mode = options.simd ?? 'auto'
          const target: Target =
            mode === false || !simdSupported() ? 'js' : mode === true || flopsOf(graph, [...outputs, ...updates.map((u) => u.value)]) >= wasmThreshold ? 'wasm' : 'js'
          const fma = options.fma ?? 'auto'
          if (fma === true && target === 'wasm' && !relaxedSimdSupported()) {
            return E.left(internalError('cpu backend: fma was asked for, but this host\'s WebAssembly has no relaxed SIMD'))
          }
          const program = buildProgram(lowered, layoutMemory(lowered), target, target === 'wasm' && (fma === true || (fma === 'auto' && relaxedSimdSupported())))
          return E.right(compiledExecutable(lowered, program, feeds, outputSpecs(graph, outputs), options.validateFeeds ?? true))
        } catch (e) {
          return E.left(internalError(`cpu backend failed to compile the graph: ${e instanceof Error ? e.message : String(e)}`))
        }
      }),
    ),
})

/**
 * How an executable of the CPU backend was compiled (target, arena and
 * module sizes, instruction counts), for tests and benchmarks; `undefined`
 * for an executable from another source.
 *
 * @category Backend
 */
export const statsOf = (exe: Executable): ProgramStats | undefined => (exe as { stats?: ProgramStats }).stats

/**
 * Computes `outputs` of `graph` from `feeds` in one call, synchronously.
 * Meant for one-off values (tests, the CLI's `eval`), it runs the reference
 * interpreter: one straightforward kernel per node, nothing generated, so
 * there is no compile time to repay.
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
    checkOutputs(graph, outputs),
    E.flatMap(() => feedSpecs(graph, outputs)),
    E.map((specs) => referenceExecutable(makePlan(graph, outputs, kernels), specs, outputSpecs(graph, outputs), true)),
    E.flatMap((exe) => exe.runSync(feeds)),
  )

/**
 * {@link evaluate} for scripts: the output tensors, or a thrown
 * `BackpropError` whose message is the `Left`'s.
 *
 * @example
 * ```ts
 * const [y9] = evaluateOrThrow(graph, [y], { x: scalarTensor(3) }) // y9.data[0] === 9
 * ```
 * @category Backend
 */
export const evaluateOrThrow = (graph: Graph, outputs: readonly NodeId[], feeds: Feeds): Tensor[] =>
  orThrow(evaluate(graph, outputs, feeds))
