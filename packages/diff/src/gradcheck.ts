import {
  type DType,
  type Graph,
  type GraphError,
  graphError,
  inputsOf,
  type NodeId,
  paramsOf,
  type Shape,
  type TaggedError,
} from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { grad } from './grad.js'

/**
 * Named values to feed: a shape, a dtype and row-major numbers in the
 * array type of that dtype. A backend tensor is one, so the values a
 * backend returns can be fed back as they are.
 *
 * @category Gradcheck
 */
export type Values = Readonly<
  Record<string, { readonly shape: Shape; readonly dtype: DType; readonly data: Float32Array | Float64Array }>
>

/**
 * How gradcheck runs a graph: evaluate `outputs` with `feeds` and return
 * their values, or a `Left` saying why not. Injected so that `diff` stays
 * independent of any backend; the CPU backend's `evaluate` is one as it is.
 *
 * @example
 * ```ts
 * import { evaluate } from '@backprop/backend-cpu'
 * gradcheck(graph, loss, ['w'], { w: tensor([0.3, -1], [2]) }, evaluate)
 * ```
 * @category Gradcheck
 */
export type Evaluate<L extends TaggedError = TaggedError> = (
  graph: Graph,
  outputs: readonly NodeId[],
  feeds: Values,
) => E.Either<L, readonly { readonly data: ArrayLike<number> }[]>

/**
 * One compared entry: the symbolic derivative and the central difference.
 *
 * @category Gradcheck
 */
export interface GradcheckEntry {
  /** The input or parameter name. */
  readonly name: string
  /** Row-major element index within it. */
  readonly index: number
  /** dE/dv from the symbolic gradient graph. */
  readonly symbolic: number
  /** (E(v + eps) - E(v - eps)) / (2 eps). */
  readonly numeric: number
}

/**
 * Outcome of {@link gradcheck}: `ok` when every entry agrees within
 * `atol + rtol * |numeric|`, and the worst entry for a message.
 *
 * @category Gradcheck
 */
export interface GradcheckReport {
  /** True when all entries agree. */
  readonly ok: boolean
  /** Every compared entry. */
  readonly entries: readonly GradcheckEntry[]
  /** The entry with the largest error relative to its tolerance. */
  readonly worst: GradcheckEntry | undefined
}

/**
 * Options of {@link gradcheck}.
 *
 * @category Gradcheck
 */
export interface GradcheckOptions {
  /** Step of the central difference (default 1e-6). */
  readonly eps?: number
  /** Relative tolerance (default 1e-5). */
  readonly rtol?: number
  /** Absolute tolerance (default 1e-7). */
  readonly atol?: number
}

/**
 * Checks the symbolic gradient of scalar `output` with respect to the named
 * inputs or parameters `wrt` against central finite differences, at the
 * point given by `feeds` (in their dtypes: use `f64` feeds, since a
 * difference step of 1e-6 is lost in float32). A `Left` names an unknown
 * `wrt` name or carries the error `evaluate` returned.
 *
 * @example
 * ```ts
 * import { evaluate } from '@backprop/backend-cpu'
 * const report = gradcheck(graph, loss, ['w'], { w: tensor([0.3, -1], [2]), x: tensor([1, 2], [2]) }, evaluate)
 * // Right({ ok: true, entries: [...], worst: {...} })
 * ```
 * @category Gradcheck
 */
export const gradcheck = <L extends TaggedError>(
  graph: Graph,
  output: NodeId,
  wrt: readonly string[],
  feeds: Values,
  evaluate: Evaluate<L>,
  options: GradcheckOptions = {},
): E.Either<GraphError | L, GradcheckReport> => {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-7 } = options
  const named = new Map([...inputsOf(graph), ...paramsOf(graph)])
  const missing = wrt.find((name) => !named.has(name) || feeds[name] === undefined)
  if (missing !== undefined) {
    return E.left(
      graphError('UnknownName', { name: missing, message: `gradcheck: '${missing}' is not a fed input or parameter` }),
    )
  }
  const derived = grad(graph, output, wrt.map((name) => named.get(name)!))
  if (E.isLeft(derived)) return derived
  const symbolic = evaluate(derived.right.graph, derived.right.gradients, feeds)
  if (E.isLeft(symbolic)) return symbolic
  // E with element `index` of feed `name` moved by `delta`.
  const at = (name: string, index: number, delta: number): E.Either<L, number> => {
    const data = feeds[name]!.data.slice()
    data[index] = data[index]! + delta
    return E.map((values: readonly { readonly data: ArrayLike<number> }[]) => values[0]!.data[0]!)(
      evaluate(graph, [output], { ...feeds, [name]: { ...feeds[name]!, data } }),
    )
  }
  const entries: GradcheckEntry[] = []
  for (const [j, name] of wrt.entries()) {
    for (let index = 0; index < feeds[name]!.data.length; index++) {
      const [up, down] = [at(name, index, eps), at(name, index, -eps)]
      if (E.isLeft(up)) return up
      if (E.isLeft(down)) return down
      entries.push({ name, index, symbolic: symbolic.right[j]!.data[index]!, numeric: (up.right - down.right) / (2 * eps) })
    }
  }
  const excess = (e: GradcheckEntry): number => Math.abs(e.symbolic - e.numeric) / (atol + rtol * Math.abs(e.numeric))
  const worst = entries.reduce<GradcheckEntry | undefined>((w, e) => (w === undefined || excess(e) > excess(w) ? e : w), undefined)
  return E.right({ ok: entries.every((e) => excess(e) <= 1), entries, worst })
}
