import * as E from 'fp-ts/lib/Either.js'
import { ancestors, type Builder, build, emptyGraph, type Graph, type Node, type NodeId } from '@backprop/graph'
import { batchRule, replaced, type RuleContext, type State } from './batch-rules.js'

/**
 * How the shards' values of one requested output make the full value:
 *
 * - `concat`: the output keeps the batch axis `axis`; the shards' values are
 *   concatenated along it, in shard order (predictions `[M, K]`: axis 0);
 * - `sum`: the batch was summed out of the output (a loss, a parameter
 *   gradient); each shard holds its part of the sum, and the parts are added
 *   in shard order;
 * - `first`: the output does not depend on the batch at all; only the first
 *   shard computes it.
 *
 * @internal
 */
export type OutputKind =
  | { readonly kind: 'concat'; readonly axis: number }
  | { readonly kind: 'sum' }
  | { readonly kind: 'first' }

/**
 * Which shard graph to derive: the shard's number of samples, and whether it
 * is the first shard (which also computes the batch-independent outputs and
 * the batch-independent terms added to partial sums) or one of the rest.
 *
 * @internal
 */
export interface ShardRequest {
  /** The inputs split along axis 0. */
  readonly batchInputs: ReadonlySet<string>
  /** The full batch's extent M on the batch axis. */
  readonly samples: number
  /** This shard's extent m. */
  readonly rows: number
  /** `first` for shard 0, `rest` for the others. */
  readonly role: 'first' | 'rest'
  /**
   * Cut at the sums over the batch instead of carrying them on: a node
   * with a partial sum among its operands (other than a transpose or
   * reshape of one) is not part of the shard graph but is computed after
   * the parts are added up (see `Partition.after`), so that it may be
   * nonlinear in them (an optimiser's update, say). Used by `planHeld`.
   */
  readonly cut?: boolean
}

/**
 * The graph one shard runs, and how its outputs combine.
 *
 * @internal
 */
export interface Partition {
  /** The shard graph: the full graph with the batch extent M replaced by the shard's m. */
  readonly graph: Graph
  /**
   * The shard graph's outputs: one per requested output, except that the
   * `rest` shards leave out the outputs of kind `first`.
   */
  readonly outputs: readonly NodeId[]
  /** How each requested output combines, in request order. */
  readonly kinds: readonly OutputKind[]
  /**
   * With `cut`: the partial sums that the shards hand over, in graph order:
   * those that are requested outputs or that a node computed after the sums
   * reads (where the batch is summed out, or a transpose or reshape of
   * that); the requested outputs computed after them are left out of
   * `outputs` and `kinds` has `first` for them. Empty without `cut`.
   */
  readonly sums: readonly NodeId[]
  /** With `cut`: for each requested output, whether it is computed after the sums. */
  readonly after: readonly boolean[]
}

/** Thrown inside the build to stop with the reason the graph cannot be split. */
class NotSplittable extends Error {}

const none: ReadonlySet<number> = new Set()

const label = (id: NodeId, node: Node): string => `node #${id} (${node.op})`

/**
 * Derives the graph that one shard of a data-parallel run computes, by a
 * batch-axis analysis of the ancestors of `outputs`:
 *
 * - the inputs named in `batchInputs` carry the samples on axis 0; each
 *   shard feeds `rows` of the M samples;
 * - elementwise ops, matmul rows and columns, transposes, reshapes and
 *   broadcasts that keep the batch axis apart, and reductions, softmaxes and
 *   maxima along other axes, keep the samples apart: their shard values are
 *   slices of the full values;
 * - a sum over the batch axis (including a matmul that contracts it, as in
 *   a weight gradient `x^T delta`) makes a partial sum; after it, only ops
 *   linear in it are allowed (sums, negation, reshapes, broadcasts and
 *   transposes, adding other partial sums, scaling by batch-independent
 *   values such as the 1/M of a mean, which keeps the FULL batch's M);
 *   a batch-independent term added to a partial sum is added by the first
 *   shard only;
 * - batch-independent constants broadcast to M rows (the upstream gradient
 *   of a sum, say) are rebuilt with m rows where they meet the batch.
 *
 * What each op does to the batch axis is its batch rule (see `batchRule`):
 * a row per op that is not elementwise, and one rule for all elementwise
 * ops from their facts in the op table. This function walks the graph and
 * keeps the states. The shard graph is rebuilt through the builder, so
 * every shape follows from the inputs' new extent. Anything else (a maximum or softmax across
 * the batch axis, a nonlinear op of a partial sum, two values whose samples
 * lie on different axes) is not split: the result is a `Left` naming the
 * first node that mixes samples, and the caller runs the graph unsplit.
 * Called with `rows` equal to M and role `first`, it gives back a graph
 * that computes the same values as `graph`.
 *
 * @internal
 */
export const partition = (graph: Graph, outputs: readonly NodeId[], request: ShardRequest): E.Either<string, Partition> => {
  const { batchInputs, samples: M, rows: m, role } = request
  const states: (State | undefined)[] = new Array(graph.nodes.length)
  const shard: NodeId[] = new Array(graph.nodes.length)

  const recipe = (b: Builder): NodeId[] => {
    const resharded = new Map<string, NodeId>()
    const context: RuleContext = {
      graph,
      samples: M,
      rows: m,
      role,
      b,
      state: (id) => states[id]!,
      uniform: (id) => {
        const s = states[id]!
        return s.kind === 'free' ? s.uniform : none
      },
      shard: (id) => shard[id]!,
      reshard: (id, axis) => {
        const key = `${id}:${axis}`
        const known = resharded.get(key)
        if (known !== undefined) return known
        if (!context.uniform(id).has(axis)) throw new Error(`internal: node #${id} is not uniform along axis ${axis}`)
        const node = graph.nodes[id]!
        const out = batchRule(node.op).reshard(context, id, node, axis)
        resharded.set(key, out)
        return out
      },
      same: (node) => b.apply(node.op, node.inputs.map((i) => shard[i]!), node.attrs, node.dtype),
      fail: (id, why) => {
        throw new NotSplittable(`${label(id, graph.nodes[id]!)} ${why}`)
      },
    }

    /** The axes of extent M of free node `node` along which it is constant. */
    const uniformAxes = (node: Node): ReadonlySet<number> => {
      const candidates = node.shape.flatMap((d, i) => (d === M ? [i] : []))
      if (candidates.length === 0) return none
      const rule = batchRule(node.op)
      return new Set(candidates.filter((axis) => rule.uniform(context, node, axis)))
    }

    const visit = (id: NodeId, node: Node): [State, NodeId] => {
      const ins = node.inputs.map(context.state)
      const kinds = ins.map((s) => s.kind)
      if (node.op === 'input' && batchInputs.has(node.attrs.name!)) {
        return [{ kind: 'batch', axis: 0 }, b.input(node.attrs.name!, replaced(node.shape, 0, m), node.dtype)]
      }
      if (kinds.every((k) => k === 'free')) return [{ kind: 'free', uniform: uniformAxes(node) }, context.same(node)]
      // Transposes and reshapes of a sum stay in the shards, where they cost nothing (the CPU backend
      // computes a transposed product directly); anything else of a sum is computed after it.
      const view = (node.op === 'transpose' || node.op === 'reshape') && kinds[0] === 'partial'
      if (request.cut && !view && kinds.some((k) => k === 'partial' || k === 'after')) {
        if (kinds.includes('batch')) return context.fail(id, 'combines a sum over the batch with single samples')
        return [{ kind: 'after' }, -1]
      }
      return batchRule(node.op).visit(context, id, node, ins)
    }

    for (const id of ancestors(graph, outputs)) {
      const [state, node] = visit(id, graph.nodes[id]!)
      states[id] = state
      shard[id] = node
    }
    const kept = outputs.filter((o) => states[o]!.kind !== 'after' && (role === 'first' || states[o]!.kind !== 'free'))
    return kept.map((o) => shard[o]!)
  }

  let built: E.Either<unknown, { graph: Graph; result: NodeId[] }>
  try {
    built = build(emptyGraph, recipe)
  } catch (e) {
    if (e instanceof NotSplittable) return E.left(e.message)
    throw e
  }
  if (E.isLeft(built)) {
    return E.left(`the shard graph does not build: ${(built.left as { message?: string }).message ?? String(built.left)}`)
  }
  const kinds = outputs.map((o): OutputKind => {
    const s = states[o]!
    return s.kind === 'batch' ? { kind: 'concat', axis: s.axis } : s.kind === 'partial' ? { kind: 'sum' } : { kind: 'first' }
  })
  // The sums the shards hand over: partial sums that are outputs or that a node after them reads.
  const handed = new Set<NodeId>(outputs.filter((o) => states[o]!.kind === 'partial'))
  if (request.cut) {
    for (const id of ancestors(graph, outputs)) {
      if (states[id]!.kind !== 'after') continue
      for (const i of graph.nodes[id]!.inputs) if (states[i]!.kind === 'partial') handed.add(i)
    }
  }
  const sums = request.cut ? [...handed].sort((a, b) => a - b) : []
  const after = outputs.map((o) => states[o]!.kind === 'after')
  return E.right({ graph: built.right.graph, outputs: built.right.result, kinds, sums, after })
}

/**
 * The batch extent M shared by the inputs named in `batchInputs` that the
 * outputs depend on: their common extent on axis 0. A `Left` says why there
 * is none (no such input, a scalar one, or two that disagree).
 *
 * @internal
 */
export const batchExtent = (
  graph: Graph,
  outputs: readonly NodeId[],
  batchInputs: ReadonlySet<string>,
): E.Either<string, number> => {
  let extent: number | undefined
  let first = ''
  for (const id of ancestors(graph, outputs)) {
    const node = graph.nodes[id]!
    if (node.op !== 'input' || !batchInputs.has(node.attrs.name!)) continue
    const name = node.attrs.name!
    if (node.shape.length === 0) return E.left(`batch input '${name}' is a scalar`)
    if (extent !== undefined && node.shape[0] !== extent) {
      return E.left(`batch inputs '${first}' and '${name}' have ${extent} and ${node.shape[0]} rows`)
    }
    extent ??= node.shape[0]!
    first ||= name
  }
  return extent === undefined ? E.left('no batch input reaches the outputs') : E.right(extent)
}
