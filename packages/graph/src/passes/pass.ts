import type { Graph, NodeId } from '../graph.js'

/**
 * A graph together with the nodes it is asked to compute: what every rewrite
 * pass takes and returns, so that passes chain in `pipe`.
 *
 * @category Passes
 */
export interface Rooted {
  /** The graph. */
  readonly graph: Graph
  /** The ids of the nodes whose values are wanted, in the caller's order. */
  readonly outputs: readonly NodeId[]
}

/**
 * A pure graph-to-graph transformation. It can be called directly as
 * `pass(graph, outputs, options?)`, on a {@link Rooted} as `pass(rooted, options?)`,
 * or data-last as `pass(outputs, options?)(graph)`, so both of these read well:
 *
 * ```ts
 * const { graph: g, outputs } = simplify(graph, [loss])
 * const same = pipe(graph, prune([loss]), foldConstants, simplify)
 * ```
 *
 * The input is never mutated; the result is a new hash-consed graph whose
 * `outputs` correspond one to one to the given outputs.
 *
 * @category Passes
 */
export interface Pass<O> {
  /** Runs the pass on `graph`, keeping what `outputs` need. */
  (graph: Graph, outputs: readonly NodeId[], options?: O): Rooted
  /** Data-last form: fixes the outputs and options, waits for the graph. */
  (outputs: readonly NodeId[], options?: O): (graph: Graph) => Rooted
  /** Runs the pass on a graph with its outputs (the form `pipe` uses). */
  (rooted: Rooted, options?: O): Rooted
}

/** Wraps a pass implementation in the three calling forms of {@link Pass}. @internal */
export const makePass = <O>(
  run: (graph: Graph, outputs: readonly NodeId[], options: O | undefined) => Rooted,
): Pass<O> => {
  function pass(
    first: Graph | Rooted | readonly NodeId[],
    second?: readonly NodeId[] | O,
    third?: O,
  ): Rooted | ((graph: Graph) => Rooted) {
    if (Array.isArray(first)) {
      const outputs = first as readonly NodeId[]
      return (graph: Graph) => run(graph, outputs, second as O | undefined)
    }
    if ('nodes' in first) return run(first, second as readonly NodeId[], third)
    const rooted = first as Rooted
    return run(rooted.graph, rooted.outputs, second as O | undefined)
  }
  return pass as Pass<O>
}
