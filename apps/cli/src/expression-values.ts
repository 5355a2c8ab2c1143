// Kept apart from expression.ts so that `diff` and `graph` load no backend.
import { type Tensor, tensor } from '@backprop/backend'
import { grad } from '@backprop/diff'
import { evaluate } from '@backprop/backend-cpu'
import { ancestors, type Graph, type NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Derivatives } from './expression.js'

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
const valuesAt = (graph: Graph, outputs: readonly NodeId[], at: Readonly<Record<string, number>>): E.Either<{ message: string }, Tensor[]> => {
  const names = inputNames(graph, outputs)
  const missing = names.find((name) => at[name] === undefined)
  if (missing !== undefined) return E.left({ message: `no value for '${missing}': add ${missing}=<number> to --at` })
  const feeds = Object.fromEntries(names.map((name) => [name, tensor([at[name]!], [], 'f64')]))
  return evaluate(graph, outputs, feeds)
}

/**
 * The numbers `graph --at` writes on a drawing of an expression E and its
 * derivative nodes: every node's value at the point, and for every forward
 * node v (those E depends on) its adjoint dE/dv, the lecture's recursion
 * evaluated at the point (from the symbolic gradient of E with respect to
 * every forward node). By node id, one line each.
 */
export const annotationsAt = (
  graph: Graph,
  value: NodeId,
  drawn: readonly NodeId[],
  at: Readonly<Record<string, number>>,
): E.Either<{ message: string }, Map<NodeId, string[]>> => {
  const forward = ancestors(graph, [value])
  return pipe(
    grad(graph, value, forward),
    E.flatMap(({ graph: withAdjoints, gradients }) => valuesAt(withAdjoints, [...drawn, ...gradients], at)),
    E.map((tensors) => {
      const notes = new Map<NodeId, string[]>(drawn.map((id, k) => [id, [`= ${show(tensors[k]!)}`]]))
      forward.forEach((id, k) => notes.get(id)?.push(`∂E/∂v = ${show(tensors[drawn.length + k]!)}`))
      return notes
    }),
  )
}

/** A scalar as JavaScript prints it (exactly, shortest round trip); a tensor as its list of values. */
const show = (t: Tensor): string => (t.data.length === 1 ? String(t.data[0]) : `[${Array.from(t.data).join(', ')}]`)

/** Names of the inputs that `outputs` depend on. */
const inputNames = (graph: Graph, outputs: readonly NodeId[]): string[] =>
  ancestors(graph, outputs)
    .map((id) => graph.nodes[id]!)
    .filter((n) => n.op === 'input')
    .map((n) => n.attrs.name!)
