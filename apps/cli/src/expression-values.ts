// Kept apart from expression.ts so that `diff` and `graph` load no backend.
import { tensor } from '@backprop/backend'
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
