import { build, type Builder, type DType, emptyGraph, type Graph, type GraphError, type NodeId, parse, type Shape } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'

/**
 * The shapes of a function's inputs, by name (`[]` for a scalar).
 *
 * @category Functions
 */
export type Shapes = Readonly<Record<string, Shape>>

/**
 * A function written with the graph builder: it receives the builder and
 * one `input` node per entry of the shapes, and returns what to compute.
 *
 * @category Functions
 */
export type Recipe<S extends Shapes, R> = (b: Builder, inputs: { readonly [K in keyof S]: NodeId }) => R

/** A recipe's graph, its input nodes and what it returned. */
export interface Traced<R> {
  readonly graph: Graph
  readonly inputs: Readonly<Record<string, NodeId>>
  readonly result: R
}

/**
 * Builds the graph of a recipe (inputs declared from `shapes`) or of an
 * expression in the CLI's language (every variable a scalar input).
 *
 * @internal
 */
export const trace = <S extends Shapes, R>(
  fn: Recipe<S, R> | string,
  shapes: S,
  dtype: DType,
  expression: (output: NodeId) => R,
): E.Either<GraphError, Traced<R>> => {
  if (typeof fn === 'string') {
    return E.map(({ graph, output, variables }: { graph: Graph; output: NodeId; variables: readonly string[] }) => ({
      graph,
      inputs: Object.fromEntries(variables.map((v) => [v, graph.nodes.findIndex((n) => n.op === 'input' && n.attrs.name === v)])),
      result: expression(output),
    }))(parse(fn, { dtype }))
  }
  return E.map(({ graph, result }: { graph: Graph; result: { inputs: Record<string, NodeId>; out: R } }) => ({
    graph,
    inputs: result.inputs,
    result: result.out,
  }))(
    build(emptyGraph, (b) => {
      const inputs = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, b.input(name, shape, dtype)]))
      return { inputs, out: fn(b, inputs as { readonly [K in keyof S]: NodeId }) }
    }),
  )
}
