// Kept apart from expression.ts so that `diff` and `graph` load no backend.
import { type Tensor, tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { ancestors, type Graph, type NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Derivatives } from './expression.js'
import { nodeNumbers } from './node-numbers.js'

/** An expression's value and derivatives at a point, as `eval --json` prints them. */
export interface Evaluation {
  readonly value: number
  readonly gradient?: Readonly<Record<string, number>>
  readonly hessian?: Readonly<Record<string, Readonly<Record<string, number>>>>
}

/**
 * Evaluates the expression and its derivatives in float64 at `at`, which
 * must give a value to every variable of the expression.
 */
export const evaluateAt = (d: Derivatives, at: Readonly<Record<string, number>>): E.Either<{ message: string }, Evaluation> => {
  const outputs = [d.value, ...d.gradient, ...(d.hessian ?? []).flat()]
  return pipe(
    valuesAt(d.graph, outputs, at),
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

/** The float64 values of `outputs` at `at`, which must give a value to every input they depend on. */
const valuesAt = (graph: Graph, outputs: readonly NodeId[], at: Readonly<Record<string, number>>): E.Either<{ message: string }, Tensor[]> =>
  pipe(
    feedsAt(graph, outputs, at),
    E.chainW((feeds) => evaluate(graph, outputs, feeds)),
  )

/** A float64 scalar feed for every input `outputs` depend on, or which one `at` leaves out. */
const feedsAt = (
  graph: Graph,
  outputs: readonly NodeId[],
  at: Readonly<Record<string, number>>,
): E.Either<{ message: string }, Record<string, Tensor>> => {
  const names = inputNames(graph, outputs)
  const missing = names.find((name) => at[name] === undefined)
  if (missing !== undefined) return E.left({ message: `no value for '${missing}': add ${missing}=<number> to --at` })
  return E.right(Object.fromEntries(names.map((name) => [name, tensor([at[name]!], [], 'f64')])))
}

/**
 * The numbers `graph --at` writes on a drawing of an expression E and its
 * derivative nodes: every node's value at the point, and for every forward
 * node v (those E depends on) its adjoint dE/dv. By node id, one line each.
 */
export const annotationsAt = (
  graph: Graph,
  value: NodeId,
  drawn: readonly NodeId[],
  at: Readonly<Record<string, number>>,
): E.Either<{ message: string }, Map<NodeId, string[]>> =>
  pipe(
    feedsAt(graph, [value, ...drawn], at),
    E.flatMap((feeds) => nodeNumbers(graph, value, drawn, feeds)),
    E.map(({ values, adjoints }) => {
      const notes = new Map<NodeId, string[]>(drawn.map((id) => [id, [`= ${show(values.get(id)!)}`]]))
      adjoints.forEach((adjoint, id) => notes.get(id)?.push(`∂E/∂v = ${show(adjoint)}`))
      return notes
    }),
  )

/** A scalar as JavaScript prints it (exactly, shortest round trip); a tensor as its list of values. */
const show = (t: Tensor): string => (t.data.length === 1 ? String(t.data[0]) : `[${Array.from(t.data).join(', ')}]`)

/** Names of the inputs that `outputs` depend on. */
const inputNames = (graph: Graph, outputs: readonly NodeId[]): string[] =>
  ancestors(graph, outputs)
    .map((id) => graph.nodes[id]!)
    .filter((n) => n.op === 'input')
    .map((n) => n.attrs.name!)
