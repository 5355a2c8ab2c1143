import * as E from 'fp-ts/lib/Either.js'
import { type DType, flopsOf, type Graph, type GraphJson, type NodeId, type Shape, toJson } from '@backprop/graph'
import { afterSums, type AfterSums } from './after.js'
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

/** Why a graph doing `flops` per run is not split, when that is fewer than `minFlops`. */
const tooSmall = (flops: number, minFlops: number): string | undefined =>
  flops < minFlops
    ? `a run does about ${Math.round(flops)} flops, too few to repay a worker's share of it (runs of at least ${minFlops} are split; see the minFlops option)`
    : undefined

/**
 * Plans the shards of an executable for `workers` participants (the calling
 * thread and `workers - 1` worker threads): split over the batch inputs
 * when there are at least two participants and two samples, the graph
 * does at least `minFlops` of work per run (see `flopsOf`) and separates
 * by sample (see `partition`), shard k in slot k; otherwise the
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
  minFlops = 0,
): ShardPlan => {
  if (batchInputs === undefined || batchInputs.length === 0) return whole(graph, outputs, 'no batchInputs were given')
  if (workers < 2) return whole(graph, outputs, 'the backend has a single worker')
  const small = tooSmall(flopsOf(graph, outputs), minFlops)
  if (small !== undefined) return whole(graph, outputs, small)
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

/**
 * How an executable that holds parameters (compiled with `updates`) runs
 * when it is split: the shards compute only up to the sums over the batch
 * (`shards`, whose outputs are `sums` and then the requested outputs that
 * keep the batch axis), and the calling thread computes the rest of the
 * graph from the added-up sums (`after`): the other requested outputs and
 * the new values of the parameters, which may be nonlinear in the sums (an
 * optimiser's update). `after.roots` are the requested outputs it computes
 * and then the update values, in `updates` order.
 *
 * @internal
 */
export interface HeldPlan {
  readonly shards: ShardPlan
  /** The nodes of the full graph that the shards compute: the sums, then the requested outputs along the batch axis. */
  readonly shardOutputs: readonly NodeId[]
  readonly after: AfterSums
  /** For each requested output, its index among the shards' outputs (kept along the batch axis) or among `after.roots`. */
  readonly sources: readonly ({ readonly from: 'shards'; readonly index: number } | { readonly from: 'after'; readonly index: number })[]
}

/**
 * Plans an executable with in-place `updates` (param name and value node)
 * for `workers` participants, or says why it is not split (the caller then
 * runs the whole graph in the calling thread), as {@link planShards} does. The analysis runs over the
 * requested outputs and the update values together and cuts at the nodes
 * where the batch is summed out (`partition` with `cut`).
 *
 * @internal
 */
export const planHeld = (
  graph: Graph,
  outputs: readonly NodeId[],
  updates: readonly { readonly param: string; readonly value: NodeId }[],
  batchInputs: readonly string[] | undefined,
  workers: number,
  minFlops = 0,
): E.Either<string, HeldPlan> => {
  if (batchInputs === undefined || batchInputs.length === 0) return E.left('no batchInputs were given')
  if (workers < 2) return E.left('the backend has a single worker')
  const batched = new Set(graph.nodes.flatMap((n) => (n.op === 'input' && batchInputs.includes(n.attrs.name!) ? [n.attrs.name!] : [])))
  const roots = [...outputs, ...updates.map((u) => u.value)]
  const small = tooSmall(flopsOf(graph, roots), minFlops)
  if (small !== undefined) return E.left(small)
  const extent = batchExtent(graph, roots, batched)
  if (E.isLeft(extent)) return extent
  const analysis = partition(graph, roots, { batchInputs: batched, samples: extent.right, rows: extent.right, role: 'first', cut: true })
  if (E.isLeft(analysis)) return analysis
  const { kinds, sums } = analysis.right
  const stray = updates.findIndex((_, j) => kinds[outputs.length + j]!.kind === 'concat')
  if (stray >= 0) return E.left(`the update of '${updates[stray]!.param}' depends on single samples`)
  // Outputs along the batch axis come from the shards, the rest from the graph after the sums.
  const alongBatch = outputs.flatMap((o, i) => (kinds[i]!.kind === 'concat' ? [o] : []))
  const later = outputs.filter((_, i) => kinds[i]!.kind !== 'concat')
  const after = afterSums(graph, [...later, ...updates.map((u) => u.value)], sums, updates.map((u) => u.param))
  if (E.isLeft(after)) return after
  const shards = planShards(graph, [...sums, ...alongBatch], batchInputs, workers)
  if (shards.unsplit !== undefined) return E.left(shards.unsplit)
  let concat = 0
  let rest = 0
  const sources = outputs.map((_, i) =>
    kinds[i]!.kind === 'concat' ? { from: 'shards' as const, index: sums.length + concat++ } : { from: 'after' as const, index: rest++ },
  )
  return E.right({ shards, shardOutputs: [...sums, ...alongBatch], after: after.right, sources })
}
