import * as E from 'fp-ts/lib/Either.js'
import {
  ancestors,
  type Builder,
  build,
  emptyGraph,
  type Graph,
  type Node,
  type NodeId,
  ops,
  type Shape,
  sizeOf,
} from '@backprop/graph'

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

/**
 * What the analysis knows of a node of the full graph:
 *
 * - `free`: its value does not depend on any batch input. `uniform` lists
 *   the axes of extent M along which the value is constant (it was
 *   broadcast there), so that a shard may use m of those rows instead;
 * - `batch`: its value depends on the batch inputs, sample by sample, with
 *   the samples along `axis` (extent M in the full graph, m in a shard);
 * - `partial`: the batch has been summed out, and the node's value is the
 *   sum over the shards of the shard graphs' values of it;
 * - `after` (with `cut` only): it depends on a partial sum other than
 *   through transposes and reshapes, and is computed whole once the parts
 *   are added up; no shard computes it.
 */
type State =
  | { readonly kind: 'free'; readonly uniform: ReadonlySet<number> }
  | { readonly kind: 'batch'; readonly axis: number }
  | { readonly kind: 'partial' }
  | { readonly kind: 'after' }

/** Thrown inside the build to stop with the reason the graph cannot be split. */
class NotSplittable extends Error {}

const none: ReadonlySet<number> = new Set()

const replaced = (shape: Shape, axis: number, extent: number): number[] =>
  shape.map((d, i) => (i === axis ? extent : d))

/** Product of the extents before `axis`. */
const prefix = (shape: Shape, axis: number): number => sizeOf(shape.slice(0, axis))

/**
 * The axis of `to` that a reshape from `from` maps axis `axis` onto: the one
 * with the same extent and the same product of extents before it, so that
 * the reshape regroups only the axes before and after it.
 */
const reshapedAxis = (from: Shape, to: Shape, axis: number): number | undefined => {
  const before = prefix(from, axis)
  for (let j = 0; j < to.length; j++) {
    if (to[j] === from[axis] && prefix(to, j) === before) return j
  }
  return undefined
}

/** The operand axis aligned with output axis `axis` under broadcasting (negative: the operand has no such axis). */
const alignedAxis = (operand: Shape, rank: number, axis: number): number => axis - (rank - operand.length)

/** Reduction output axis `axis` -> the operand's axis. */
const reducedSource = (axis: number, reduced: readonly number[], keepdims: boolean, rank: number): number => {
  if (keepdims) return axis
  const kept = Array.from({ length: rank }, (_, i) => i).filter((i) => !reduced.includes(i))
  return kept[axis]!
}

/** Operand axis -> the reduction's output axis (the operand axis must not be reduced). */
const reducedTarget = (axis: number, reduced: readonly number[], keepdims: boolean): number =>
  keepdims ? axis : axis - reduced.filter((r) => r < axis).length

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
 * The shard graph is rebuilt through the builder, so every shape follows
 * from the inputs' new extent. Anything else (a maximum or softmax across
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
    const stateOf = (id: NodeId): State => states[id]!
    const uniformOf = (id: NodeId): ReadonlySet<number> => {
      const s = stateOf(id)
      return s.kind === 'free' ? s.uniform : none
    }

    /**
     * The shard graph's version of free node `id` with m instead of M rows
     * along `axis`, which must be one of its uniform axes. Mirrors the
     * uniform-axis rules below.
     */
    const reshard = (id: NodeId, axis: number): NodeId => {
      const key = `${id}:${axis}`
      const known = resharded.get(key)
      if (known !== undefined) return known
      if (!uniformOf(id).has(axis)) throw new Error(`internal: node #${id} is not uniform along axis ${axis}`)
      const node = graph.nodes[id]!
      const rank = node.shape.length
      const input = (k: number): Node => graph.nodes[node.inputs[k]!]!
      // An operand broadcast along `at` is used as it is; otherwise its rows along `at` are resharded too.
      const operand = (k: number, at: number): NodeId =>
        at < 0 || input(k).shape[at] === 1 ? shard[node.inputs[k]!]! : reshard(node.inputs[k]!, at)
      let out: NodeId
      switch (node.op) {
        case 'const':
          out = b.apply('const', [], { ...node.attrs, shape: replaced(node.shape, axis, m) }, node.dtype)
          break
        case 'broadcast':
          out = b.broadcast(operand(0, alignedAxis(input(0).shape, rank, axis)), replaced(node.shape, axis, m))
          break
        case 'transpose':
          out = b.apply('transpose', [reshard(node.inputs[0]!, node.attrs.perm![axis]!)], node.attrs)
          break
        case 'reshape':
          out = b.reshape(
            reshard(node.inputs[0]!, reshapedAxis(node.shape, input(0).shape, axis)!),
            replaced(node.shape, axis, m),
          )
          break
        case 'sum':
        case 'reduceMax': {
          const source = reducedSource(axis, node.attrs.axes!, node.attrs.keepdims ?? false, input(0).shape.length)
          out = b.apply(node.op, [reshard(node.inputs[0]!, source)], node.attrs)
          break
        }
        case 'softmax':
        case 'logSoftmax':
          out = b.apply(node.op, [reshard(node.inputs[0]!, axis)], node.attrs)
          break
        case 'logSumExp': {
          const source = node.attrs.keepdims || axis < node.attrs.axis! ? axis : axis + 1
          out = b.apply('logSumExp', [reshard(node.inputs[0]!, source)], node.attrs)
          break
        }
        case 'matmul':
          out =
            axis === 0
              ? b.matmul(reshard(node.inputs[0]!, 0), shard[node.inputs[1]!]!)
              : b.matmul(shard[node.inputs[0]!]!, reshard(node.inputs[1]!, 1))
          break
        default:
          if (ops[node.op].kind !== 'elementwise') throw new Error(`internal: cannot reshard ${label(id, node)}`)
          out = b.apply(
            node.op,
            node.inputs.map((_, k) => operand(k, alignedAxis(input(k).shape, rank, axis))),
            node.attrs,
          )
      }
      resharded.set(key, out)
      return out
    }

    /** The axes of extent M of `node` along which it is constant, for a free node. */
    const uniformAxes = (node: Node): ReadonlySet<number> => {
      const rank = node.shape.length
      const candidates = node.shape.flatMap((d, i) => (d === M ? [i] : []))
      if (candidates.length === 0) return none
      const input = (k: number): Node => graph.nodes[node.inputs[k]!]!
      // Operand k is constant along output axis `axis` when it is broadcast there or uniform there itself.
      const constantAlong = (k: number, at: number): boolean =>
        at < 0 || input(k).shape[at] === 1 || uniformOf(node.inputs[k]!).has(at)
      let keep: (axis: number) => boolean
      switch (node.op) {
        case 'const':
          keep = () => node.attrs.values === undefined
          break
        case 'input':
        case 'param':
          keep = () => false
          break
        case 'broadcast':
          keep = (axis) => constantAlong(0, alignedAxis(input(0).shape, rank, axis))
          break
        case 'transpose':
          keep = (axis) => uniformOf(node.inputs[0]!).has(node.attrs.perm![axis]!)
          break
        case 'reshape':
          keep = (axis) => {
            const source = reshapedAxis(node.shape, input(0).shape, axis)
            return source !== undefined && uniformOf(node.inputs[0]!).has(source)
          }
          break
        case 'sum':
        case 'reduceMax':
          keep = (axis) => {
            const reduced = node.attrs.axes!
            const source = reducedSource(axis, reduced, node.attrs.keepdims ?? false, input(0).shape.length)
            return !reduced.includes(source) && uniformOf(node.inputs[0]!).has(source)
          }
          break
        case 'softmax':
        case 'logSoftmax':
          // Along its own axis a softmax depends on the extent (1/M), so that axis is not kept.
          keep = (axis) => axis !== node.attrs.axis && uniformOf(node.inputs[0]!).has(axis)
          break
        case 'logSumExp':
          keep = (axis) => {
            const source = node.attrs.keepdims || axis < node.attrs.axis! ? axis : axis + 1
            return source !== node.attrs.axis && uniformOf(node.inputs[0]!).has(source)
          }
          break
        case 'matmul':
          keep = (axis) => uniformOf(node.inputs[axis]!).has(axis)
          break
        // Parts and joins are never taken as uniform (so never resharded): a conservative
        // answer that at worst leaves a graph unsplit.
        case 'slice':
        case 'index':
        case 'concat':
          keep = () => false
          break
        default:
          keep = (axis) => node.inputs.every((_, k) => constantAlong(k, alignedAxis(input(k).shape, rank, axis)))
      }
      return new Set(candidates.filter(keep))
    }

    const fail = (id: NodeId, why: string): never => {
      throw new NotSplittable(`${label(id, graph.nodes[id]!)} ${why}`)
    }

    /**
     * Elementwise op with a partial-sum operand: only ops linear in it are
     * allowed, as the op's batch facts in the op table say (`OpDef.batch`).
     */
    const partialElementwise = (id: NodeId, node: Node, kinds: readonly State['kind'][]): NodeId => {
      const same = (): NodeId => b.apply(node.op, node.inputs.map((i) => shard[i]!), node.attrs)
      if (kinds.includes('batch')) return fail(id, 'combines a sum over the batch with single samples')
      const facts = ops[node.op].batch
      const partials = kinds.flatMap((k, i) => (k === 'partial' ? [i] : []))
      const group = facts?.linearIn.find((g) => partials.every((p) => g.includes(p)))
      if (group === undefined) return fail(id, 'is not linear in a sum over the batch')
      if (group.every((k) => kinds[k] === 'partial')) return same()
      // A signed sum of a partial sum and batch-independent terms (p + c, c - p): the first
      // shard adds the terms, the others pass their part through with its sign.
      if (facts!.signs === undefined || partials.length !== 1) return fail(id, 'is not linear in a sum over the batch')
      if (role === 'first') return same()
      const p = partials[0]!
      let part = shard[node.inputs[p]!]!
      if (facts!.signs[p]! < 0) part = b.neg(part)
      const shape = graph.nodes[node.inputs[p]!]!.shape
      return shape.join() === node.shape.join() ? part : b.broadcast(part, node.shape)
    }

    /** Elementwise op of batch and free operands: the samples must lie on one output axis. */
    const batchElementwise = (id: NodeId, node: Node): { axis: number; node: NodeId } => {
      const rank = node.shape.length
      let axis: number | undefined
      for (const i of node.inputs) {
        const s = stateOf(i)
        if (s.kind !== 'batch') continue
        const at = s.axis + rank - graph.nodes[i]!.shape.length
        if (axis !== undefined && axis !== at) fail(id, 'combines samples lying on different axes')
        axis = at
      }
      const operands = node.inputs.map((i) => {
        if (stateOf(i).kind === 'batch') return shard[i]!
        const operand = graph.nodes[i]!
        const at = alignedAxis(operand.shape, rank, axis!)
        if (at < 0 || operand.shape[at] === 1) return shard[i]!
        if (uniformOf(i).has(at)) return reshard(i, at)
        return fail(id, `combines the samples with a batch-independent value of ${M} rows that differ`)
      })
      return { axis: axis!, node: b.apply(node.op, operands, node.attrs) }
    }

    const visit = (id: NodeId, node: Node): [State, NodeId] => {
      const ins = node.inputs.map(stateOf)
      const kinds = ins.map((s) => s.kind)
      const same = (): NodeId => b.apply(node.op, node.inputs.map((i) => shard[i]!), node.attrs, node.dtype)
      const free = (): [State, NodeId] => [{ kind: 'free', uniform: uniformAxes(node) }, same()]
      const partial = (make: () => NodeId = same): [State, NodeId] => [{ kind: 'partial' }, make()]
      if (node.op === 'input' && batchInputs.has(node.attrs.name!)) {
        return [{ kind: 'batch', axis: 0 }, b.input(node.attrs.name!, replaced(node.shape, 0, m), node.dtype)]
      }
      if (kinds.every((k) => k === 'free')) return free()
      // Transposes and reshapes of a sum stay in the shards, where they cost nothing (the CPU backend
      // computes a transposed product directly); anything else of a sum is computed after it.
      const view = (node.op === 'transpose' || node.op === 'reshape') && kinds[0] === 'partial'
      if (request.cut && !view && kinds.some((k) => k === 'partial' || k === 'after')) {
        if (kinds.includes('batch')) return fail(id, 'combines a sum over the batch with single samples')
        return [{ kind: 'after' }, -1]
      }
      const x = ins[0]!
      const batchAxis = x.kind === 'batch' ? x.axis : -1
      switch (node.op) {
        case 'matmul': {
          const [a, c] = ins as [State, State]
          if (a.kind === 'partial' || c.kind === 'partial') {
            return a.kind === 'batch' || c.kind === 'batch' || a.kind === c.kind
              ? fail(id, 'is not linear in a sum over the batch')
              : partial()
          }
          if (a.kind === 'batch' && a.axis === 0) {
            return c.kind === 'free' ? [{ kind: 'batch', axis: 0 }, same()] : fail(id, 'multiplies samples with samples')
          }
          if (c.kind === 'batch' && c.axis === 1) {
            return a.kind === 'free' ? [{ kind: 'batch', axis: 1 }, same()] : fail(id, 'multiplies samples with samples')
          }
          // What is left contracts the batch axis: x^T delta sums over the samples.
          if (a.kind === 'batch' && c.kind === 'batch') return partial()
          if (a.kind === 'batch') {
            return uniformOf(node.inputs[1]!).has(0)
              ? partial(() => b.matmul(shard[node.inputs[0]!]!, reshard(node.inputs[1]!, 0)))
              : fail(id, 'contracts the samples with batch-independent rows that differ')
          }
          return uniformOf(node.inputs[0]!).has(1)
            ? partial(() => b.matmul(reshard(node.inputs[0]!, 1), shard[node.inputs[1]!]!))
            : fail(id, 'contracts the samples with batch-independent columns that differ')
        }
        case 'transpose':
          return x.kind === 'batch' ? [{ kind: 'batch', axis: node.attrs.perm!.indexOf(batchAxis) }, same()] : partial()
        case 'reshape': {
          if (x.kind !== 'batch') return partial()
          const to = reshapedAxis(graph.nodes[node.inputs[0]!]!.shape, node.shape, batchAxis)
          if (to === undefined) return fail(id, 'mixes the batch axis with other axes')
          return [{ kind: 'batch', axis: to }, b.reshape(shard[node.inputs[0]!]!, replaced(node.shape, to, m))]
        }
        case 'broadcast': {
          if (x.kind !== 'batch') return partial()
          const to = batchAxis + node.shape.length - graph.nodes[node.inputs[0]!]!.shape.length
          return [{ kind: 'batch', axis: to }, b.broadcast(shard[node.inputs[0]!]!, replaced(node.shape, to, m))]
        }
        case 'sum':
        case 'reduceMax': {
          const axes = node.attrs.axes!
          if (x.kind === 'partial') return node.op === 'sum' ? partial() : fail(id, 'takes a maximum of a sum over the batch')
          if (axes.includes(batchAxis)) return node.op === 'sum' ? partial() : fail(id, 'takes the maximum across the batch')
          return [{ kind: 'batch', axis: reducedTarget(batchAxis, axes, node.attrs.keepdims ?? false) }, same()]
        }
        // A part of a sum is the sum of the parts; a part of samples keeps them apart unless it
        // picks along the batch axis.
        case 'slice':
        case 'index': {
          if (x.kind !== 'batch') return partial()
          if (node.attrs.axis === batchAxis) return fail(id, 'selects samples along the batch axis')
          const dropped = node.op === 'index' && node.attrs.axis! < batchAxis
          return [{ kind: 'batch', axis: dropped ? batchAxis - 1 : batchAxis }, same()]
        }
        case 'concat': {
          const [a, c] = ins as [State, State]
          if (a.kind === 'partial' && c.kind === 'partial') return partial()
          if (a.kind !== 'batch' || c.kind !== 'batch' || a.axis !== c.axis) {
            return fail(id, 'joins samples with values that are not samples on the same axis')
          }
          if (node.attrs.axis === a.axis) return fail(id, 'joins along the batch axis')
          return [{ kind: 'batch', axis: a.axis }, same()]
        }
        case 'softmax':
        case 'logSoftmax':
        case 'logSumExp': {
          if (x.kind !== 'batch') return fail(id, 'is not linear in a sum over the batch')
          if (node.attrs.axis === batchAxis) return fail(id, 'normalises across the batch')
          const kept = node.op === 'logSumExp' && !node.attrs.keepdims && batchAxis > node.attrs.axis!
          return [{ kind: 'batch', axis: kept ? batchAxis - 1 : batchAxis }, same()]
        }
        default: {
          if (ops[node.op].kind !== 'elementwise') return fail(id, 'is not supported by the batch analysis')
          if (kinds.includes('partial')) return [{ kind: 'partial' }, partialElementwise(id, node, kinds)]
          const built = batchElementwise(id, node)
          return [{ kind: 'batch', axis: built.axis }, built.node]
        }
      }
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
