import { type Graph, type GraphError, graphError, inputsOf, type NodeId, paramsOf, type Shape } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { grad } from './grad.js'

/**
 * Named values to feed: anything with a shape and row-major numbers (a
 * backend tensor fits).
 *
 * @category Gradcheck
 */
export type Values = Readonly<Record<string, { readonly shape: Shape; readonly data: ArrayLike<number> }>>

/**
 * How gradcheck runs a graph: evaluate `outputs` with `feeds` in float64 and
 * return their row-major values. Injected so that `diff` stays independent
 * of any backend; the CPU backend's `evaluate` adapts to it in one line.
 *
 * @category Gradcheck
 */
export type Evaluate = (graph: Graph, outputs: readonly NodeId[], feeds: Values) => readonly ArrayLike<number>[]

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
 * inputs or parameters `wrt` against central finite differences in float64,
 * at the point given by `feeds`.
 *
 * @category Gradcheck
 */
export const gradcheck = (
  graph: Graph,
  output: NodeId,
  wrt: readonly string[],
  feeds: Values,
  evaluate: Evaluate,
  options: GradcheckOptions = {},
): E.Either<GraphError, GradcheckReport> => {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-7 } = options
  const named = new Map([...inputsOf(graph), ...paramsOf(graph)])
  const missing = wrt.find((name) => !named.has(name) || feeds[name] === undefined)
  if (missing !== undefined) {
    return E.left(
      graphError('UnknownName', { name: missing, message: `gradcheck: '${missing}' is not a fed input or parameter` }),
    )
  }
  return E.map(({ graph: g, gradients }: { graph: Graph; gradients: readonly NodeId[] }) => {
    const symbolic = evaluate(g, gradients, feeds)
    const at = (name: string, index: number, delta: number): number => {
      const data = Float64Array.from(feeds[name]!.data)
      data[index] = data[index]! + delta
      return evaluate(graph, [output], { ...feeds, [name]: { shape: feeds[name]!.shape, data } })[0]![0]!
    }
    const entries = wrt.flatMap((name, j) =>
      Array.from({ length: feeds[name]!.data.length }, (_, index) => ({
        name,
        index,
        symbolic: symbolic[j]![index]!,
        numeric: (at(name, index, eps) - at(name, index, -eps)) / (2 * eps),
      })),
    )
    const excess = (e: GradcheckEntry): number => Math.abs(e.symbolic - e.numeric) / (atol + rtol * Math.abs(e.numeric))
    const worst = entries.reduce<GradcheckEntry | undefined>((w, e) => (w === undefined || excess(e) > excess(w) ? e : w), undefined)
    return { ok: entries.every((e) => excess(e) <= 1), entries, worst }
  })(grad(graph, output, wrt.map((name) => named.get(name)!)))
}
