import * as E from 'fp-ts/lib/Either.js'
import { build, emptyGraph, type Graph, inputsOf, type NodeId, paramsOf } from '@backprop/graph'

/**
 * The graph computed once the shards' partial sums are added up: every
 * node that `roots` need, except that each node of `sums` becomes an input
 * (named in `inputs`, in the order of `sums`) and what only feeds the sums
 * is left out. `keep` names params to keep even where no root needs them
 * (the params of in-place updates). Node ids are those of the new graph.
 *
 * @internal
 */
export interface AfterSums {
  readonly graph: Graph
  /** The input names of the sums, in the order of `sums`. */
  readonly inputs: readonly string[]
  /** The new graph's node of each root, in order. */
  readonly roots: readonly NodeId[]
}

/** Names for `count` sums, `__sum:k` unless the graph has such an input or param already: then `__sum2:k`, and so on. */
const sumNames = (graph: Graph, count: number): string[] => {
  const taken = new Set([...inputsOf(graph).keys(), ...paramsOf(graph).keys()])
  const named = (prefix: string) => Array.from({ length: count }, (_, k) => `${prefix}:${k}`)
  let names = named('__sum')
  for (let n = 2; names.some((name) => taken.has(name)); n++) names = named(`__sum${n}`)
  return names
}

/**
 * Builds {@link AfterSums} for `roots` of `graph`, cutting at `sums` (see
 * `partition` with `cut`): the caller has checked that no root depends on
 * a batch input except through a sum. A `Left` carries the builder's
 * message should the graph not rebuild.
 *
 * @internal
 */
export const afterSums = (graph: Graph, roots: readonly NodeId[], sums: readonly NodeId[], keep: readonly string[]): E.Either<string, AfterSums> => {
  const inputs = sumNames(graph, sums.length)
  const cut = new Map(sums.map((id, k) => [id, k]))
  const params = paramsOf(graph)
  const kept = keep.flatMap((name) => (params.has(name) ? [params.get(name)!] : []))
  // The ancestors of the roots, not walking past a sum.
  const needed = new Uint8Array(graph.nodes.length)
  const stack = [...roots, ...kept]
  while (stack.length > 0) {
    const id = stack.pop()!
    if (needed[id]) continue
    needed[id] = 1
    if (!cut.has(id)) for (const i of graph.nodes[id]!.inputs) stack.push(i)
  }
  const built = build(emptyGraph, (b) => {
    const mapped: NodeId[] = new Array(graph.nodes.length)
    // Ids are in topological order, so every input is mapped before its node.
    for (let id = 0; id < graph.nodes.length; id++) {
      if (!needed[id]) continue
      const node = graph.nodes[id]!
      const k = cut.get(id)
      mapped[id] =
        k === undefined
          ? b.apply(node.op, node.inputs.map((i) => mapped[i]!), node.attrs, node.dtype)
          : b.input(inputs[k]!, node.shape, node.dtype)
    }
    return roots.map((r) => mapped[r]!)
  })
  if (E.isLeft(built)) return E.left(`the graph after the sums does not build: ${built.left.message}`)
  return E.right({ graph: built.right.graph, inputs, roots: built.right.result })
}
