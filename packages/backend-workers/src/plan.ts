import * as E from 'fp-ts/lib/Either.js'
import { type DType, type Graph, type GraphJson, type NodeId, type Shape, toJson } from '@backprop/graph'
import { batchExtent, type OutputKind, partition } from './partition.js'
import { shardSizes, shardStarts } from './split.js'

/**
 * One shard of a run: who computes it (slot 0 is the calling thread, slot
 * k >= 1 the pool's worker thread k), on which rows of the batch, with
 * which graph, and where each requested output is among its results.
 *
 * @internal
 */
export interface Shard {
  readonly slot: number
  /** First row of the batch inputs (0 when the run is not split). */
  readonly start: number
  /** Number of rows (the batch inputs' full extent when not split). */
  readonly rows: number
  /** The shard graph and its outputs. */
  readonly graph: GraphJson
  /** For each requested output, its index among this shard's results, or -1 when the shard does not compute it. */
  readonly results: readonly number[]
  /** The shape and dtype of each of the shard graph's outputs, in its order. */
  readonly outputs: readonly OutputSpec[]
}

/**
 * The shape and dtype of one output of a shard graph.
 *
 * @internal
 */
export interface OutputSpec {
  readonly shape: Shape
  readonly dtype: DType
}

const specsOf = (graph: Graph, outputs: readonly NodeId[]): OutputSpec[] =>
  outputs.map((o) => ({ shape: graph.nodes[o]!.shape, dtype: graph.nodes[o]!.dtype }))

/**
 * How an executable runs: its shards and how their outputs combine. A
 * graph that is not split is one shard computing the whole graph.
 *
 * @internal
 */
export interface ShardPlan {
  readonly shards: readonly Shard[]
  /** How each requested output combines, in request order. */
  readonly kinds: readonly OutputKind[]
  /** The feeds split by rows (none when not split). */
  readonly batched: ReadonlySet<string>
  /** Why the runs are not split, when they are not. */
  readonly unsplit?: string
}

const whole = (graph: Graph, outputs: readonly NodeId[], reason: string): ShardPlan => ({
  shards: [{ slot: 0, start: 0, rows: 0, graph: toJson(graph, outputs), results: outputs.map((_, i) => i), outputs: specsOf(graph, outputs) }],
  kinds: outputs.map(() => ({ kind: 'first' })),
  batched: new Set(),
  unsplit: reason,
})

/**
 * Plans the shards of an executable for `workers` participants (the calling
 * thread and `workers - 1` worker threads): split over the batch inputs
 * when there are at least two participants and two samples and the graph
 * separates by sample (see `partition`), shard k in slot k; otherwise the
 * whole graph in slot 0, the calling thread. Shard graphs are derived once per distinct shard
 * size and role (at most four for one batch extent) and shared by the
 * shards that have them.
 *
 * @internal
 */
export const planShards = (
  graph: Graph,
  outputs: readonly NodeId[],
  batchInputs: readonly string[] | undefined,
  workers: number,
): ShardPlan => {
  if (batchInputs === undefined || batchInputs.length === 0) return whole(graph, outputs, 'no batchInputs were given')
  if (workers < 2) return whole(graph, outputs, 'the backend has a single worker')
  // Only input nodes are split: a param that happens to be named in batchInputs is not.
  const batched = new Set(graph.nodes.flatMap((n) => (n.op === 'input' && batchInputs.includes(n.attrs.name!) ? [n.attrs.name!] : [])))
  const extent = batchExtent(graph, outputs, batched)
  if (E.isLeft(extent)) return whole(graph, outputs, extent.left)
  const samples = extent.right
  const sizes = shardSizes(samples, workers)
  if (sizes.length < 2) return whole(graph, outputs, `a batch of ${samples} sample(s) is not split`)
  const starts = shardStarts(sizes)
  const derived = new Map<string, { graph: GraphJson; kinds: readonly OutputKind[]; outputs: readonly OutputSpec[] }>()
  const shards: Shard[] = []
  let kinds: readonly OutputKind[] = []
  for (const [k, rows] of sizes.entries()) {
    const role = k === 0 ? 'first' : 'rest'
    const key = `${rows}:${role}`
    let entry = derived.get(key)
    if (entry === undefined) {
      const split = partition(graph, outputs, { batchInputs: batched, samples, rows, role })
      if (E.isLeft(split)) return whole(graph, outputs, split.left)
      entry = {
        graph: toJson(split.right.graph, split.right.outputs),
        kinds: split.right.kinds,
        outputs: specsOf(split.right.graph, split.right.outputs),
      }
      derived.set(key, entry)
    }
    kinds = entry.kinds
    let next = 0
    const results = entry.kinds.map((kind) => (role === 'first' || kind.kind !== 'first' ? next++ : -1))
    shards.push({ slot: k, start: starts[k]!, rows, graph: entry.graph, results, outputs: entry.outputs })
  }
  return { shards, kinds, batched }
}
