import { gradInto } from '@backprop/diff'
import { build, type Graph, type GraphError, type NodeId, parse, simplify } from '@backprop/graph'
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
    E.flatMap(({ graph, output }) =>
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
