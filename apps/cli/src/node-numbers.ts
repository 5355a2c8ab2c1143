// The numbers on a drawing of a graph with its derivative: what `graph --at`
// writes on an expression's nodes and what the dashboard writes on a
// network's, computed in one place. Kept apart so that `diff` and a drawing
// without numbers load no backend.
import type { Tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { grad } from '@backprop/diff'
import { ancestors, type Graph, type NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'

/** Every drawn node's value, and every forward node's adjoint dE/dv. */
export interface NodeNumbers {
  /** The value of each drawn node. */
  readonly values: ReadonlyMap<NodeId, Tensor>
  /** dE/dv for each forward node v (those E depends on), of v's shape. */
  readonly adjoints: ReadonlyMap<NodeId, Tensor>
}

/**
 * The values of `drawn` and the adjoint dE/dv of every node E = `value`
 * depends on, with `feeds` for its inputs: the lecture's recursion
 * evaluated, from the symbolic gradient of E with respect to every forward
 * node (one graph, one evaluation on the CPU backend).
 */
export const nodeNumbers = (
  graph: Graph,
  value: NodeId,
  drawn: readonly NodeId[],
  feeds: Readonly<Record<string, Tensor>>,
): E.Either<{ readonly message: string }, NodeNumbers> => {
  const forward = ancestors(graph, [value])
  return pipe(
    grad(graph, value, forward),
    E.mapLeft((e): { readonly message: string } => e),
    E.chainW(({ graph: withAdjoints, gradients }) => evaluate(withAdjoints, [...drawn, ...gradients], feeds)),
    E.map((tensors) => ({
      values: new Map(drawn.map((id, k) => [id, tensors[k]!])),
      adjoints: new Map(forward.map((id, k) => [id, tensors[drawn.length + k]!])),
    })),
  )
}
