import { type BinaryOp, type Builder, type Graph, type Node, type NodeId, type OpName, ops, type Shape, sizeOf, type UnaryOp } from '@backprop/graph'

/**
 * What the batch-axis analysis knows of a node of the full graph:
 *
 * - `free`: its value does not depend on any batch input. `uniform` lists
 *   the axes of extent M along which the value is constant (it was
 *   broadcast there), so that a shard may use m of those rows instead;
 * - `batch`: its value depends on the batch inputs, sample by sample, with
 *   the samples along `axis` (extent M in the full graph, m in a shard);
 * - `partial`: the batch has been summed out, and the node's value is the
 *   sum over the shards of the shard graphs' values of it;
 * - `after` (when cutting at the sums only): it depends on a partial sum
 *   other than through transposes and reshapes, and is computed whole once
 *   the parts are added up; no shard computes it.
 *
 * @internal
 */
export type State =
  | { readonly kind: 'free'; readonly uniform: ReadonlySet<number> }
  | { readonly kind: 'batch'; readonly axis: number }
  | { readonly kind: 'partial' }
  | { readonly kind: 'after' }

/**
 * What a batch rule works with: the full graph, the batch extents, the
 * builder of the shard graph, and the analysis of the nodes before the one
 * at hand.
 *
 * @internal
 */
export interface RuleContext {
  readonly graph: Graph
  /** The full batch's extent M. */
  readonly samples: number
  /** The shard's extent m. */
  readonly rows: number
  /** `first` for shard 0 (which adds the batch-independent terms), `rest` for the others. */
  readonly role: 'first' | 'rest'
  /** The builder of the shard graph. */
  readonly b: Builder
  /** The state of node `id` (visited already). */
  state(id: NodeId): State
  /** The uniform axes of node `id`: empty unless it is `free`. */
  uniform(id: NodeId): ReadonlySet<number>
  /** The shard graph's node for node `id`. */
  shard(id: NodeId): NodeId
  /** The shard graph's version of free node `id` with m rows along its uniform axis `axis` (built once). */
  reshard(id: NodeId, axis: number): NodeId
  /** `node` rebuilt in the shard graph on its operands' shard nodes, attributes unchanged. */
  same(node: Node): NodeId
  /** Stops the analysis: node `id` keeps the graph from being split, for reason `why`. */
  fail(id: NodeId, why: string): never
}

/**
 * How one op meets the batch axis: the op's batch rule.
 *
 * @internal
 */
export interface BatchRule {
  /**
   * For a node whose operands are all batch-independent: whether it stays
   * constant along its axis `axis` of extent M (its value was broadcast
   * there, from the operands' uniform axes), so that a shard may use m of
   * those rows instead.
   */
  uniform(c: RuleContext, node: Node, axis: number): boolean
  /** The shard graph's version of free node `id` with m rows along `axis`, one of its uniform axes (see `uniform`). */
  reshard(c: RuleContext, id: NodeId, node: Node, axis: number): NodeId
  /**
   * A node with an operand that depends on the batch (`ins`: its operands'
   * states, none `after`): its own state and its node in the shard graph,
   * or `c.fail` with the reason it mixes samples.
   */
  visit(c: RuleContext, id: NodeId, node: Node, ins: readonly State[]): [State, NodeId]
}

/** `shape` with extent `extent` on axis `axis`. */
export const replaced = (shape: Shape, axis: number, extent: number): number[] => shape.map((d, i) => (i === axis ? extent : d))

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

/** The operand of a node in the full graph. */
const operandOf = (c: RuleContext, node: Node, k: number): Node => c.graph.nodes[node.inputs[k]!]!

/** Operand k of `node` is constant along output axis `axis`: broadcast there, or uniform there itself. */
const constantAlong = (c: RuleContext, node: Node, k: number, axis: number): boolean => {
  const at = alignedAxis(operandOf(c, node, k).shape, node.shape.length, axis)
  return at < 0 || operandOf(c, node, k).shape[at] === 1 || c.uniform(node.inputs[k]!).has(at)
}

/** Operand k of `node` along output axis `axis` in the shard graph: as it is where broadcast, its m rows otherwise. */
const operandRows = (c: RuleContext, node: Node, k: number, axis: number): NodeId => {
  const at = alignedAxis(operandOf(c, node, k).shape, node.shape.length, axis)
  return at < 0 || operandOf(c, node, k).shape[at] === 1 ? c.shard(node.inputs[k]!) : c.reshard(node.inputs[k]!, at)
}

const partial = (node: NodeId): [State, NodeId] => [{ kind: 'partial' }, node]
const samplesOn = (axis: number, node: NodeId): [State, NodeId] => [{ kind: 'batch', axis }, node]
const batchAxisOf = (s: State): number => (s.kind === 'batch' ? s.axis : -1)

/** A rule's answer for nodes it never sees: leaves have no operands, and some nodes are never resharded. */
const unreachable = (what: string) => (): never => {
  throw new Error(`internal: ${what}`)
}

/** Inputs and parameters: never uniform (their rows differ), never visited with operands. */
const fed: BatchRule = {
  uniform: () => false,
  reshard: unreachable('an input or parameter is not uniform'),
  visit: unreachable('a leaf has no operands'),
}

/**
 * Elementwise ops, all alike, from their facts in the op table: samples
 * stay apart when the batch operands' samples lie on one axis; a sum over
 * the batch passes only through ops linear in it (`OpDef.batch`).
 */
const elementwise: BatchRule = {
  uniform: (c, node, axis) => node.inputs.every((_, k) => constantAlong(c, node, k, axis)),
  reshard: (c, _id, node, axis) =>
    c.b.apply(
      node.op,
      node.inputs.map((_, k) => operandRows(c, node, k, axis)),
      node.attrs,
    ),
  visit: (c, id, node, ins) => {
    const kinds = ins.map((s) => s.kind)
    if (kinds.includes('partial')) return partial(partialElementwise(c, id, node, kinds))
    return batchElementwise(c, id, node)
  },
}

/**
 * Elementwise op with a partial-sum operand: only ops linear in it are
 * allowed, as the op's batch facts in the op table say (`OpDef.batch`).
 */
const partialElementwise = (c: RuleContext, id: NodeId, node: Node, kinds: readonly State['kind'][]): NodeId => {
  if (kinds.includes('batch')) return c.fail(id, 'combines a sum over the batch with single samples')
  const facts = ops[node.op].batch
  const partials = kinds.flatMap((k, i) => (k === 'partial' ? [i] : []))
  const group = facts?.linearIn.find((g) => partials.every((p) => g.includes(p)))
  if (group === undefined) return c.fail(id, 'is not linear in a sum over the batch')
  if (group.every((k) => kinds[k] === 'partial')) return c.same(node)
  // A signed sum of a partial sum and batch-independent terms (p + c, c - p): the first
  // shard adds the terms, the others pass their part through with its sign.
  if (facts!.signs === undefined || partials.length !== 1) return c.fail(id, 'is not linear in a sum over the batch')
  if (c.role === 'first') return c.same(node)
  const p = partials[0]!
  let part = c.shard(node.inputs[p]!)
  if (facts!.signs[p]! < 0) part = c.b.neg(part)
  const shape = operandOf(c, node, p).shape
  return shape.join() === node.shape.join() ? part : c.b.broadcast(part, node.shape)
}

/** Elementwise op of batch and free operands: the samples must lie on one output axis. */
const batchElementwise = (c: RuleContext, id: NodeId, node: Node): [State, NodeId] => {
  const rank = node.shape.length
  let axis: number | undefined
  for (const i of node.inputs) {
    const s = c.state(i)
    if (s.kind !== 'batch') continue
    const at = s.axis + rank - c.graph.nodes[i]!.shape.length
    if (axis !== undefined && axis !== at) c.fail(id, 'combines samples lying on different axes')
    axis = at
  }
  const operands = node.inputs.map((i) => {
    if (c.state(i).kind === 'batch') return c.shard(i)
    const operand = c.graph.nodes[i]!
    const at = alignedAxis(operand.shape, rank, axis!)
    if (at < 0 || operand.shape[at] === 1) return c.shard(i)
    if (c.uniform(i).has(at)) return c.reshard(i, at)
    return c.fail(id, `combines the samples with a batch-independent value of ${c.samples} rows that differ`)
  })
  return samplesOn(axis!, c.b.apply(node.op, operands, node.attrs))
}

/** Sums and maxima over some axes: a sum over the batch axis makes a partial sum, a maximum over it mixes samples. */
const reduction = (sums: boolean): BatchRule => {
  const source = (node: Node, axis: number, rank: number): number =>
    reducedSource(axis, node.attrs.axes!, node.attrs.keepdims ?? false, rank)
  return {
    uniform: (c, node, axis) => {
      const from = source(node, axis, operandOf(c, node, 0).shape.length)
      return !node.attrs.axes!.includes(from) && c.uniform(node.inputs[0]!).has(from)
    },
    reshard: (c, _id, node, axis) =>
      c.b.apply(node.op, [c.reshard(node.inputs[0]!, source(node, axis, operandOf(c, node, 0).shape.length))], node.attrs),
    visit: (c, id, node, [x]) => {
      const axes = node.attrs.axes!
      if (x!.kind === 'partial') return sums ? partial(c.same(node)) : c.fail(id, 'takes a maximum of a sum over the batch')
      const batchAxis = batchAxisOf(x!)
      if (axes.includes(batchAxis)) return sums ? partial(c.same(node)) : c.fail(id, 'takes the maximum across the batch')
      return samplesOn(reducedTarget(batchAxis, axes, node.attrs.keepdims ?? false), c.same(node))
    },
  }
}

/**
 * Ops along one axis (`softmax`, `logSoftmax`, and `logSumExp`, which
 * reduces it): samples stay apart unless that axis is the batch axis. Along
 * its own axis a node depends on the extent (1/M), so that axis is never
 * uniform.
 */
const alongAxis = (reduces: boolean): BatchRule => {
  const source = (node: Node, axis: number): number => (!reduces || node.attrs.keepdims || axis < node.attrs.axis! ? axis : axis + 1)
  return {
    uniform: (c, node, axis) => {
      const from = source(node, axis)
      return from !== node.attrs.axis && c.uniform(node.inputs[0]!).has(from)
    },
    reshard: (c, _id, node, axis) => c.b.apply(node.op, [c.reshard(node.inputs[0]!, source(node, axis))], node.attrs),
    visit: (c, id, node, [x]) => {
      if (x!.kind !== 'batch') return c.fail(id, 'is not linear in a sum over the batch')
      if (node.attrs.axis === x!.axis) return c.fail(id, 'normalises across the batch')
      const dropped = reduces && !node.attrs.keepdims && x!.axis > node.attrs.axis!
      return samplesOn(dropped ? x!.axis - 1 : x!.axis, c.same(node))
    },
  }
}

/**
 * Parts and joins are never taken as uniform (so never resharded): a
 * conservative answer that at worst leaves a graph unsplit.
 */
const neverUniform = { uniform: () => false, reshard: unreachable('a part or join is never uniform') }

/** A part of a sum is the sum of the parts; a part of samples keeps them apart unless it picks along the batch axis. */
const part: BatchRule = {
  ...neverUniform,
  visit: (c, id, node, [x]) => {
    if (x!.kind !== 'batch') return partial(c.same(node))
    if (node.attrs.axis === x!.axis) return c.fail(id, 'selects samples along the batch axis')
    const dropped = node.op === 'index' && node.attrs.axis! < x!.axis
    return samplesOn(dropped ? x!.axis - 1 : x!.axis, c.same(node))
  },
}

/** Ops whose rule is their own; every elementwise op takes {@link elementwise}. */
type OwnRuleOp = Exclude<OpName, UnaryOp | BinaryOp | 'where'>

/**
 * The batch rule of every op that is not elementwise, by name: a new such
 * op does not compile until it says how it meets the batch axis.
 */
const rules: { readonly [K in OwnRuleOp]: BatchRule } = {
  input: fed,
  param: fed,
  // A constant without values is a fill: the same along every axis.
  const: {
    uniform: (_c, node) => node.attrs.values === undefined,
    reshard: (c, _id, node, axis) => c.b.apply('const', [], { ...node.attrs, shape: replaced(node.shape, axis, c.rows) }, node.dtype),
    visit: unreachable('a leaf has no operands'),
  },
  matmul: {
    uniform: (c, node, axis) => c.uniform(node.inputs[axis]!).has(axis),
    reshard: (c, _id, node, axis) =>
      axis === 0
        ? c.b.matmul(c.reshard(node.inputs[0]!, 0), c.shard(node.inputs[1]!))
        : c.b.matmul(c.shard(node.inputs[0]!), c.reshard(node.inputs[1]!, 1)),
    visit: (c, id, node, [a, w]) => {
      if (a!.kind === 'partial' || w!.kind === 'partial') {
        return a!.kind === 'batch' || w!.kind === 'batch' || a!.kind === w!.kind
          ? c.fail(id, 'is not linear in a sum over the batch')
          : partial(c.same(node))
      }
      if (a!.kind === 'batch' && a!.axis === 0) {
        return w!.kind === 'free' ? samplesOn(0, c.same(node)) : c.fail(id, 'multiplies samples with samples')
      }
      if (w!.kind === 'batch' && w!.axis === 1) {
        return a!.kind === 'free' ? samplesOn(1, c.same(node)) : c.fail(id, 'multiplies samples with samples')
      }
      // What is left contracts the batch axis: x^T delta sums over the samples.
      if (a!.kind === 'batch' && w!.kind === 'batch') return partial(c.same(node))
      if (a!.kind === 'batch') {
        return c.uniform(node.inputs[1]!).has(0)
          ? partial(c.b.matmul(c.shard(node.inputs[0]!), c.reshard(node.inputs[1]!, 0)))
          : c.fail(id, 'contracts the samples with batch-independent rows that differ')
      }
      return c.uniform(node.inputs[0]!).has(1)
        ? partial(c.b.matmul(c.reshard(node.inputs[0]!, 1), c.shard(node.inputs[1]!)))
        : c.fail(id, 'contracts the samples with batch-independent columns that differ')
    },
  },
  transpose: {
    uniform: (c, node, axis) => c.uniform(node.inputs[0]!).has(node.attrs.perm![axis]!),
    reshard: (c, _id, node, axis) => c.b.apply('transpose', [c.reshard(node.inputs[0]!, node.attrs.perm![axis]!)], node.attrs),
    visit: (c, _id, node, [x]) => (x!.kind === 'batch' ? samplesOn(node.attrs.perm!.indexOf(x!.axis), c.same(node)) : partial(c.same(node))),
  },
  reshape: {
    uniform: (c, node, axis) => {
      const from = reshapedAxis(node.shape, operandOf(c, node, 0).shape, axis)
      return from !== undefined && c.uniform(node.inputs[0]!).has(from)
    },
    reshard: (c, _id, node, axis) =>
      c.b.reshape(c.reshard(node.inputs[0]!, reshapedAxis(node.shape, operandOf(c, node, 0).shape, axis)!), replaced(node.shape, axis, c.rows)),
    visit: (c, id, node, [x]) => {
      if (x!.kind !== 'batch') return partial(c.same(node))
      const to = reshapedAxis(operandOf(c, node, 0).shape, node.shape, x!.axis)
      if (to === undefined) return c.fail(id, 'mixes the batch axis with other axes')
      return samplesOn(to, c.b.reshape(c.shard(node.inputs[0]!), replaced(node.shape, to, c.rows)))
    },
  },
  broadcast: {
    uniform: (c, node, axis) => constantAlong(c, node, 0, axis),
    reshard: (c, _id, node, axis) => c.b.broadcast(operandRows(c, node, 0, axis), replaced(node.shape, axis, c.rows)),
    visit: (c, _id, node, [x]) => {
      if (x!.kind !== 'batch') return partial(c.same(node))
      const to = x!.axis + node.shape.length - operandOf(c, node, 0).shape.length
      return samplesOn(to, c.b.broadcast(c.shard(node.inputs[0]!), replaced(node.shape, to, c.rows)))
    },
  },
  slice: part,
  index: part,
  concat: {
    ...neverUniform,
    visit: (c, id, node, [a, w]) => {
      if (a!.kind === 'partial' && w!.kind === 'partial') return partial(c.same(node))
      if (a!.kind !== 'batch' || w!.kind !== 'batch' || a!.axis !== w!.axis) {
        return c.fail(id, 'joins samples with values that are not samples on the same axis')
      }
      if (node.attrs.axis === a!.axis) return c.fail(id, 'joins along the batch axis')
      return samplesOn(a!.axis, c.same(node))
    },
  },
  sum: reduction(true),
  reduceMax: reduction(false),
  softmax: alongAxis(false),
  logSoftmax: alongAxis(false),
  logSumExp: alongAxis(true),
}

/**
 * The batch rule of `op`: its own row of the table, or the elementwise
 * rule for every op the op table calls elementwise.
 *
 * @internal
 */
export const batchRule = (op: OpName): BatchRule =>
  ops[op].kind === 'elementwise' ? elementwise : (rules[op as OwnRuleOp] ?? unreachableRule(op))

/** A rule for an op the table does not know (an op the type says is elementwise but the op table does not). */
const unreachableRule = (op: OpName): BatchRule => ({
  uniform: () => false,
  reshard: unreachable(`op ${op} has no batch rule`),
  visit: (c, id) => c.fail(id, 'is not supported by the batch analysis'),
})
