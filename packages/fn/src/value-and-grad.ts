import type { Backend, Tensor } from '@backprop/backend'
import type { CpuBackend } from '@backprop/backend-cpu'
import { gradInto, hessianInto } from '@backprop/diff'
import {
  build,
  type Graph,
  graphError,
  type NodeId,
  orThrow,
  showShape,
  sizeOf,
  type TaggedError,
} from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { type CompileFnOptions, compileFn, type FnFor } from './compiled.js'
import { type Recipe, type Shapes, trace } from './trace.js'

/**
 * What a recipe for {@link valueAndGrad} returns: the scalar node to
 * differentiate, or that node as `value` with `adjoints` (further nodes,
 * such as a layer's net input, whose adjoints dE/dv to report beside the
 * gradients, under the given names) and `aux` (nodes to report as they are).
 *
 * @category Functions
 */
export type ValueOf =
  | NodeId
  | {
      /** The scalar to differentiate (one element). */
      readonly value: NodeId
      /** Intermediate nodes whose adjoints to report, by name. */
      readonly adjoints?: Readonly<Record<string, NodeId>>
      /** Nodes to report as computed, by name. */
      readonly aux?: Readonly<Record<string, NodeId>>
    }

/**
 * The names of the `adjoints` or `aux` nodes a recipe returned: the keys of
 * those fields in the results.
 *
 * @category Functions
 */
export type NamesOf<R, F extends 'adjoints' | 'aux'> = R extends { readonly [P in F]?: infer A }
  ? A extends Readonly<Record<string, NodeId>>
    ? keyof A & string
    : never
  : never

/**
 * What a function compiled by {@link valueAndGrad} returns: the value, the
 * gradient with respect to each `wrt` argument (and the adjoint of each
 * named node), with that argument's shape, the `aux` nodes, and with the
 * `hessian` option `hessian[a][b]`, the second derivatives, of shape
 * `[...shape of a, ...shape of b]`.
 *
 * @category Functions
 */
export type Gradients<G extends string, X extends string, W extends string, H extends boolean> = {
  /** The value. */
  readonly value: number
  /** dE/dv for each argument differentiated and each named adjoint. */
  readonly grad: { readonly [K in G]: Tensor }
  /** The `aux` nodes' values. */
  readonly aux: { readonly [K in X]: Tensor }
} & (H extends true ? { /** d2E/(da db) for arguments a, b. */ readonly hessian: { readonly [K in W]: { readonly [L in W]: Tensor } } } : unknown)

/**
 * Options of {@link valueAndGrad}.
 *
 * @category Functions
 */
export interface ValueAndGradOptions<W extends string, H extends boolean, B extends Backend> extends CompileFnOptions<B> {
  /** The arguments (inputs or params) to differentiate with respect to; all by default. */
  readonly wrt?: readonly W[]
  /** Also compute the Hessian (the derivative of the gradient graph); `false` by default. */
  readonly hessian?: H
}

const asValue = (r: ValueOf): Exclude<ValueOf, NodeId> => (typeof r === 'number' ? { value: r } : r)

// The graph and outputs of value, gradients, Hessian and aux, or the mistake
// in the request (a non-scalar value, an unknown or doubly named argument).
const derive = (graph: Graph, r: Exclude<ValueOf, NodeId>, wrt: readonly string[] | undefined, withHessian: boolean) => {
  const named = new Map<string, NodeId>()
  graph.nodes.forEach((n, id) => {
    if (n.op === 'input' || n.op === 'param') named.set(n.attrs.name!, id)
  })
  const names = wrt ?? [...named.keys()]
  const unknown = names.find((n) => !named.has(n))
  if (unknown !== undefined) {
    return E.left(
      graphError('UnknownName', {
        name: unknown,
        message: `valueAndGrad: unknown parameter '${unknown}'; the function takes ${[...named.keys()].join(', ') || 'no arguments'}`,
      }),
    )
  }
  const adjoints = Object.entries(r.adjoints ?? {})
  const clash = adjoints.find(([n]) => names.includes(n))
  if (clash !== undefined) {
    return E.left(graphError('InvalidGraph', { path: clash[0], message: `valueAndGrad: adjoint '${clash[0]}' has the name of an argument` }))
  }
  const shape = graph.nodes[r.value]?.shape ?? []
  if (sizeOf(shape) !== 1) {
    return E.left(
      graphError('ShapeError', {
        op: 'valueAndGrad',
        message: `valueAndGrad: the value has shape ${showShape(shape)}, not a scalar; sum it, or use jit and jacobian for a vector`,
      }),
    )
  }
  const gradNames = [...names, ...adjoints.map(([n]) => n)]
  return E.map(({ graph: g, result }: { graph: Graph; result: NodeId[] }) => ({ graph: g, outputs: result, gradNames, names }))(
    build(graph, (b) => {
      const loss = shape.length === 0 ? r.value : b.reshape(r.value, [])
      const wrtIds = names.map((n) => named.get(n)!)
      const grads = gradInto(b, loss, [...wrtIds, ...adjoints.map(([, id]) => id)])
      const hessian = withHessian ? hessianInto(b, loss, wrtIds).hessian.flat() : []
      return [loss, ...grads, ...hessian, ...Object.values(r.aux ?? {})]
    }),
  )
}

/**
 * {@link valueAndGrad} with the error as a `Left` instead of thrown.
 *
 * @category Functions
 */
export function tryValueAndGrad<
  S extends Shapes,
  R extends ValueOf,
  W extends string = keyof S & string,
  H extends boolean = false,
  B extends Backend = CpuBackend,
>(
  fn: Recipe<S, R>,
  shapes: S,
  options?: ValueAndGradOptions<W, H, B>,
): E.Either<TaggedError, FnFor<B, Gradients<W | NamesOf<R, 'adjoints'>, NamesOf<R, 'aux'>, W, H>>>
export function tryValueAndGrad<W extends string = string, H extends boolean = false, B extends Backend = CpuBackend>(
  expression: string,
  options?: ValueAndGradOptions<W, H, B>,
): E.Either<TaggedError, FnFor<B, Gradients<W, never, W, H>>>
export function tryValueAndGrad(
  fn: Recipe<Shapes, ValueOf> | string,
  shapesOrOptions?: Shapes | ValueAndGradOptions<string, boolean, Backend>,
  maybeOptions?: ValueAndGradOptions<string, boolean, Backend>,
): E.Either<TaggedError, unknown> {
  const [shapes, options] =
    typeof fn === 'string'
      ? [{}, (shapesOrOptions ?? {}) as ValueAndGradOptions<string, boolean, Backend>]
      : [shapesOrOptions as Shapes, maybeOptions ?? {}]
  const traced = trace(fn, shapes, options.dtype ?? 'f64', (output): ValueOf => output)
  if (E.isLeft(traced)) return traced
  const r = asValue(traced.right.result)
  const derived = derive(traced.right.graph, r, options.wrt, options.hessian === true)
  if (E.isLeft(derived)) return derived
  const { graph, outputs, gradNames, names } = derived.right
  const auxNames = Object.keys(r.aux ?? {})
  return compileFn(graph, outputs, options.backend, (values) => {
    let at = 1
    const take = (): Tensor => values[at++]!
    const grad = Object.fromEntries(gradNames.map((n) => [n, take()]))
    const hessian = options.hessian === true ? Object.fromEntries(names.map((a) => [a, Object.fromEntries(names.map((b) => [b, take()]))])) : undefined
    const aux = Object.fromEntries(auxNames.map((n) => [n, take()]))
    return { value: values[0]!.data[0]!, grad, aux, ...(hessian === undefined ? {} : { hessian }) }
  })
}

/**
 * The value of a scalar function and its gradients, compiled once to run
 * many times, in the spirit of `jax.value_and_grad` and `jax.jit`: from a
 * recipe written with the graph builder and the shapes of its inputs, or
 * from an expression in the CLI's language (every variable a scalar), to a
 * function of tensors or plain numbers returning `{ value, grad, aux }`
 * (and `hessian` with that option). The derivatives are symbolic: nodes
 * appended to the graph by `grad`, compiled with it by the backend (the CPU
 * backend by default; any other with the `backend` option).
 *
 * A value that is not a scalar, an unknown `wrt` name, or a recipe that does
 * not build throws a `BackpropError`; arguments of the wrong shape or name
 * make the compiled function throw one. Each has the message the Either
 * forms ({@link tryValueAndGrad}, the compiled function's `either`) return.
 *
 * @example
 * ```ts
 * const f = valueAndGrad('0.5*(sigmoid(w*x) - t)^2', { wrt: ['w'] })
 * f({ w: 0.3, x: -1.2, t: 0.5 }).grad.w.data[0] // dE/dw
 * const g = valueAndGrad((b, { w, x }) => b.sum(b.square(b.matmul(x, w))), { w: [3, 1], x: [4, 3] }, { wrt: ['w'] })
 * ```
 * @category Functions
 */
export function valueAndGrad<
  S extends Shapes,
  R extends ValueOf,
  W extends string = keyof S & string,
  H extends boolean = false,
  B extends Backend = CpuBackend,
>(
  fn: Recipe<S, R>,
  shapes: S,
  options?: ValueAndGradOptions<W, H, B>,
): FnFor<B, Gradients<W | NamesOf<R, 'adjoints'>, NamesOf<R, 'aux'>, W, H>>
export function valueAndGrad<W extends string = string, H extends boolean = false, B extends Backend = CpuBackend>(
  expression: string,
  options?: ValueAndGradOptions<W, H, B>,
): FnFor<B, Gradients<W, never, W, H>>
export function valueAndGrad(
  fn: Recipe<Shapes, ValueOf> | string,
  shapesOrOptions?: Shapes | ValueAndGradOptions<string, boolean, Backend>,
  maybeOptions?: ValueAndGradOptions<string, boolean, Backend>,
): unknown {
  return orThrow(
    typeof fn === 'string'
      ? tryValueAndGrad(fn, shapesOrOptions as ValueAndGradOptions<string, boolean, Backend>)
      : tryValueAndGrad(fn, shapesOrOptions as Shapes, maybeOptions),
  )
}
