import type { Backend } from '@backprop/backend'
import type { Graph } from '@backprop/graph'

/**
 * The names of the inputs of `graph` that share the first rank-1-or-more
 * input's extent on axis 0: a guess at the batch inputs of any graph.
 */
export const guessBatchInputs = (graph: Graph): string[] => {
  const inputs = graph.nodes.filter((n) => n.op === 'input' && n.shape.length > 0)
  const rows = inputs[0]?.shape[0]
  return inputs.filter((n) => n.shape[0] === rows).map((n) => n.attrs.name!)
}

/**
 * `backend` with `batchInputs` guessed for every compile (see
 * {@link guessBatchInputs}), so that every graph a suite compiles is split
 * wherever the batch analysis allows it.
 */
export const batchingEverything = (backend: Backend): Backend => ({
  name: backend.name,
  compile: (graph, outputs, options) => backend.compile(graph, outputs, { ...options, batchInputs: guessBatchInputs(graph) }),
})
