import { tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { gradInto } from '@backprop/diff'
import { ancestors, build, type Graph, type GraphError, type NodeId, parse, simplify } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'

/**
 * A scalar expression parsed into a graph with its derivative nodes
 * appended: `gradient[i]` = dE/dv_i and, for order 2, `hessian[i][j]` =
 * d2E/(dv_i dv_j), the derivative of the derivative graph.
 */
export interface Derivatives {
  readonly graph: Graph
  readonly value: NodeId
  readonly wrt: readonly string[]
  readonly gradient: readonly NodeId[]
  readonly hessian?: readonly (readonly NodeId[])[]
  /** Nodes below this id compute the expression; the rest its derivatives. */
  readonly forwardSize: number
}

/** An expression's value and derivatives at a point, as `eval --json` prints them. */
export interface Evaluation {
  readonly value: number
  readonly gradient?: Readonly<Record<string, number>>
  readonly hessian?: Readonly<Record<string, Readonly<Record<string, number>>>>
}

/**
 * Parses `text` and appends its symbolic derivatives with respect to `wrt`
 * (first order, or first and second). A name in `wrt` that does not occur in
 * the expression has derivative 0. With `simplifyFirst`, the expression is
 * simplified (into its stable form) before it is differentiated.
 */
export const differentiate = (
  text: string,
  wrt: readonly string[],
  order: 1 | 2,
  options: { readonly simplifyFirst?: boolean } = {},
): E.Either<GraphError, Derivatives> =>
  pipe(
    parse(text),
    // Simplifying the expression first puts it in stable form (log(sigmoid(a))
    // becomes -softplus(-a)), whose derivative is shorter and better behaved.
    // `eval` does not: its values are those of the expression as written.
    E.map(({ graph, output }) => {
      if (!options.simplifyFirst) return { graph, output }
      const simple = simplify(graph, [output])
      return { graph: simple.graph, output: simple.outputs[0]! }
    }),
    E.chain(({ graph, output }) =>
      pipe(
        build(graph, (b) => {
          const vars = wrt.map((name) => b.input(name))
          const forwardSize = b.size
          const gradient = gradInto(b, output, vars)
          const hessian = order === 2 ? gradient.map((g) => gradInto(b, g, vars)) : undefined
          return { gradient, hessian, forwardSize }
        }),
        E.map(({ graph: extended, result }) => ({ graph: extended, value: output, wrt, ...result })),
      ),
    ),
  )

/**
 * Evaluates the expression and its derivatives in float64 at `at`, which
 * must give a value to every variable of the expression.
 */
export const evaluateAt = (d: Derivatives, at: Readonly<Record<string, number>>): E.Either<{ message: string }, Evaluation> => {
  const outputs = [d.value, ...d.gradient, ...(d.hessian ?? []).flat()]
  const names = inputNames(d.graph, outputs)
  const missing = names.find((name) => at[name] === undefined)
  if (missing !== undefined) return E.left({ message: `no value for '${missing}': add ${missing}=<number> to --at` })
  const feeds = Object.fromEntries(names.map((name) => [name, tensor([at[name]!], [], 'f64')]))
  return pipe(
    evaluate(d.graph, outputs, feeds),
    E.map((tensors) => {
      const v = tensors.map((t) => t.data[0]!)
      const n = d.wrt.length
      const row = (offset: number) => Object.fromEntries(d.wrt.map((name, j) => [name, v[offset + j]!]))
      return {
        value: v[0]!,
        ...(n > 0 ? { gradient: row(1) } : {}),
        ...(d.hessian ? { hessian: Object.fromEntries(d.wrt.map((name, i) => [name, row(1 + n + i * n)])) } : {}),
      }
    }),
  )
}

/** Names of the inputs that `outputs` depend on. */
const inputNames = (graph: Graph, outputs: readonly NodeId[]): string[] =>
  ancestors(graph, outputs)
    .map((id) => graph.nodes[id]!)
    .filter((n) => n.op === 'input')
    .map((n) => n.attrs.name!)
