import type { Backend, Tensor } from '@backprop/backend'
import type { CpuBackend } from '@backprop/backend-cpu'
import { type NodeId, orThrow, type TaggedError } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { type CompileFnOptions, compileFn, type FnFor } from './compiled.js'
import { type Recipe, type Shapes, trace } from './trace.js'

/**
 * What a jitted recipe may return: one node, an array of nodes or a record
 * of nodes.
 *
 * @category Functions
 */
export type Outputs = NodeId | readonly NodeId[] | Readonly<Record<string, NodeId>>

/**
 * The results of a jitted function: one tensor per node the recipe
 * returned, in the same arrangement.
 *
 * @category Functions
 */
export type Results<R extends Outputs> = R extends NodeId ? Tensor : { -readonly [K in keyof R]: Tensor }

const flatten = (r: Outputs): { ids: NodeId[]; rebuild: (values: readonly Tensor[]) => unknown } => {
  if (typeof r === 'number') return { ids: [r], rebuild: (v) => v[0] }
  if (Array.isArray(r)) return { ids: [...r], rebuild: (v) => [...v] }
  const keys = Object.keys(r)
  return {
    ids: keys.map((k) => (r as Record<string, NodeId>)[k]!),
    rebuild: (v) => Object.fromEntries(keys.map((k, i) => [k, v[i]])),
  }
}

/**
 * {@link jit} with the error as a `Left` instead of thrown.
 *
 * @category Functions
 */
export function tryJit<S extends Shapes, R extends Outputs, B extends Backend = CpuBackend>(
  fn: Recipe<S, R>,
  shapes: S,
  options?: CompileFnOptions<B>,
): E.Either<TaggedError, FnFor<B, Results<R>>>
export function tryJit<B extends Backend = CpuBackend>(
  expression: string,
  options?: CompileFnOptions<B>,
): E.Either<TaggedError, FnFor<B, Tensor>>
export function tryJit(
  fn: Recipe<Shapes, Outputs> | string,
  shapesOrOptions?: Shapes | CompileFnOptions<Backend>,
  maybeOptions?: CompileFnOptions<Backend>,
): E.Either<TaggedError, unknown> {
  const [shapes, options] =
    typeof fn === 'string' ? [{}, (shapesOrOptions ?? {}) as CompileFnOptions<Backend>] : [shapesOrOptions as Shapes, maybeOptions ?? {}]
  const traced = trace(fn, shapes, options.dtype ?? 'f64', (output): Outputs => output)
  if (E.isLeft(traced)) return traced
  const { ids, rebuild } = flatten(traced.right.result)
  return compileFn(traced.right.graph, ids, options.backend, rebuild)
}

/**
 * Compiles a function once, to run many times: from a recipe written with
 * the graph builder and the shapes of its inputs, or from an expression in
 * the CLI's language (every variable a scalar input), to a function of
 * tensors or plain numbers that returns what the recipe returned, computed
 * by the backend (the CPU backend by default). The spirit of `jax.jit`:
 * shapes are fixed when it is compiled. Throws a `BackpropError` for a
 * recipe that does not build; the compiled function throws one for
 * arguments that do not fit (see {@link tryJit} for the Either form).
 *
 * @example
 * ```ts
 * const f = jit((b, { x, y }) => ({ sum: b.add(x, y), prod: b.mul(x, y) }), { x: [2], y: [2] })
 * f({ x: [1, 2], y: [3, 4] }).prod.data // Float64Array [3, 8]
 * jit('x^2 * y')({ x: 3, y: 2 }).data[0] // 18
 * ```
 * @category Functions
 */
export function jit<S extends Shapes, R extends Outputs, B extends Backend = CpuBackend>(
  fn: Recipe<S, R>,
  shapes: S,
  options?: CompileFnOptions<B>,
): FnFor<B, Results<R>>
export function jit<B extends Backend = CpuBackend>(expression: string, options?: CompileFnOptions<B>): FnFor<B, Tensor>
export function jit(
  fn: Recipe<Shapes, Outputs> | string,
  shapesOrOptions?: Shapes | CompileFnOptions<Backend>,
  maybeOptions?: CompileFnOptions<Backend>,
): unknown {
  return orThrow(typeof fn === 'string' ? tryJit(fn, shapesOrOptions as CompileFnOptions<Backend>) : tryJit(fn, shapesOrOptions as Shapes, maybeOptions))
}
