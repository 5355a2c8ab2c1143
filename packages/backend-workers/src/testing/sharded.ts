import type { Feeds, Tensor, TensorData } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { fromJson, type Graph, type NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { combine } from '../runtime/combine.js'
import { planShards, type ShardPlan } from '../splitting/plan.js'

/** The feeds among `feeds` that name an input or param of `graph`. */
export const feedsOf = (graph: Graph, feeds: Feeds): Feeds => {
  const names = new Set(graph.nodes.flatMap((n) => (n.op === 'input' || n.op === 'param' ? [n.attrs.name!] : [])))
  return Object.fromEntries(Object.entries(feeds).filter(([name]) => names.has(name)))
}

/** Rows `[start, start + rows)` of `t` along axis 0. */
export const rowsOf = (t: Tensor, start: number, rows: number): Tensor => {
  const row = t.shape.slice(1).reduce((n, d) => n * d, 1)
  return { shape: [rows, ...t.shape.slice(1)], dtype: t.dtype, data: t.data.slice(start * row, (start + rows) * row) }
}

/**
 * What the workers backend computes, without threads: plans the shards for
 * `workers` workers, evaluates each shard graph (read back from its JSON) on
 * the CPU backend with its rows of the batch inputs, and combines the
 * outputs. Also returns the plan, so tests can see whether it split.
 */
export const runSharded = (
  graph: Graph,
  outputs: readonly NodeId[],
  batchInputs: readonly string[],
  feeds: Feeds,
  workers: number,
): { plan: ShardPlan; values: Tensor[] } => {
  const plan = planShards(graph, outputs, batchInputs, workers)
  const parts = plan.shards.map((shard) => {
    const read = fromJson(shard.graph)
    if (E.isLeft(read)) throw new Error(read.left.message)
    const shardFeeds: Record<string, Tensor> = {}
    for (const [name, t] of Object.entries(feedsOf(read.right.graph, feeds))) {
      shardFeeds[name] = plan.batched.has(name) ? rowsOf(t, shard.start, shard.rows) : t
    }
    const out = evaluate(read.right.graph, read.right.outputs, shardFeeds)
    if (E.isLeft(out)) throw new Error(out.left.message)
    return out.right.map((t) => t.data)
  })
  const values = outputs.map((id, i): Tensor => {
    const node = graph.nodes[id]!
    const spec = { shape: node.shape, dtype: node.dtype }
    const pieces: TensorData[] = plan.shards.flatMap((s, k) => (s.results[i]! < 0 ? [] : [parts[k]![s.results[i]!]!]))
    return { ...spec, data: combine(plan.kinds[i]!, spec, pieces, plan.shards.map((s) => s.rows)) }
  })
  return { plan, values }
}

/**
 * The largest difference between `actual` and `expected`, tensor by tensor,
 * relative to the tensor's largest magnitude: `max |a - e| / max |e|` (the
 * usual norm-wise measure, since summation order moves every element by a
 * multiple of the largest terms' rounding). Equal values, NaN and infinities
 * included, differ by 0; a shape mismatch is Infinity.
 */
export const maxRelativeError = (actual: readonly Tensor[], expected: readonly Tensor[]): number => {
  let worst = 0
  expected.forEach((e, i) => {
    const a = actual[i]!
    if (a === undefined || a.shape.join() !== e.shape.join() || a.data.length !== e.data.length) {
      worst = Infinity
      return
    }
    const scale = Array.from(e.data).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0) || 1
    e.data.forEach((v, j) => {
      const w = a.data[j]!
      if (Object.is(v, w) || v === w) return
      const d = Math.abs(w - v) / scale
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d)
    })
  })
  return worst
}
