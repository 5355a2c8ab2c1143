import type { Builder } from '../builder.js'
import { buildScratch } from '../builder.js'
import type { Attrs, Graph, Node, NodeId } from '../graph.js'
import { type OpName, opNames } from '../ops.js'
import { broadcastShapes, type DType, sameShape } from '../shape.js'
import { makePass, type Pass, type Rooted } from './pass.js'
import { OpMethods } from '../op-methods.js'
import { pruneScratch } from './prune.js'
import { splatOf } from './tensor.js'

/**
 * One local rewrite rule: given node `id` (whose operands are already
 * rewritten), return the id of an equivalent node built with `b`, or
 * `undefined` when the rule does not apply. Nodes a rule builds through `b`
 * are themselves rewritten before the rule sees their ids, so a rule may
 * build a plain `b.mul(a, c)` and get back its simplest form.
 *
 * A rule should keep the node's shape and dtype; one that returns a value of
 * a smaller shape that broadcasts to the node's (such as a scalar `0` for
 * `x * 0`) is broadcast back by the driver, and one that changes the dtype
 * or an incompatible shape is ignored.
 *
 * A rule may carry the list of ops it can fire at (`ops`, see
 * {@link onOps}); the driver then only tries it at nodes of those ops,
 * which keeps a sweep over a large graph from calling every rule at every
 * node. A rule without `ops` is tried everywhere.
 *
 * @example
 * ```ts
 * // x * 1 -> x
 * const mulOne: Rewrite = (b, _id, n) =>
 *   n.op === 'mul' && constantValue(b, n.inputs[1]!) === 1 ? n.inputs[0] : undefined
 * ```
 * @category Rewrites
 */
export type Rewrite = ((b: Builder, id: NodeId, node: Node) => NodeId | undefined) & {
  /** The ops at whose nodes the rule can fire; all when absent. */
  readonly ops?: readonly OpName[]
}

/**
 * Tags a rule with the ops it can fire at, so that the driver tries it only
 * at nodes of those ops. The rule itself should still check the op: it may
 * be called directly.
 *
 * @example
 * ```ts
 * // x / 1 -> x
 * const divOne = onOps(['div'], (b, _id, n) =>
 *   n.op === 'div' && constantValue(b, n.inputs[1]!) === 1 ? n.inputs[0] : undefined)
 * ```
 * @category Rewrites
 */
export const onOps = (
  ops: readonly OpName[],
  rule: (b: Builder, id: NodeId, node: Node) => NodeId | undefined,
): Rewrite => Object.assign(rule, { ops })

// The rules of a table that can fire at each op, computed once per table.
const dispatchCache = new WeakMap<readonly Rewrite[], Readonly<Record<string, readonly Rewrite[]>>>()

const dispatch = (rules: readonly Rewrite[]): Readonly<Record<string, readonly Rewrite[]>> => {
  let table = dispatchCache.get(rules)
  if (table === undefined) {
    const byOp: Record<string, Rewrite[]> = {}
    for (const op of opNames) byOp[op] = rules.filter((r) => r.ops === undefined || r.ops.includes(op))
    table = byOp
    dispatchCache.set(rules, table)
  }
  return table
}

/**
 * Options of a rewrite sweep.
 *
 * @category Rewrites
 */
export interface RewriteOptions {
  /** Rewrites applied at one node before it counts as settled (default 64). */
  readonly maxSteps?: number
}

// Marks in the settled table: unknown yet, or being settled further up.
const UNKNOWN = -1
const BUSY = -2

// Deepest nesting of rule-built nodes rewritten in turn; rules build small
// expressions, so this is only a guard against a rule set that keeps growing.
const maxDepth = 200

/** An Int32Array of at least `length` entries holding `from`, the rest `fill`. */
const grown = (from: Int32Array, length: number, fill: number): Int32Array => {
  let size = Math.max(from.length * 2, 1024)
  while (size < length) size *= 2
  const out = new Int32Array(size).fill(fill)
  out.set(from)
  return out
}

/**
 * A builder whose every node is rewritten by the rules as it is built, so a
 * node's id always stands for its settled form. Memoised by id: each node is
 * settled once per sweep.
 *
 * It also keeps what rules that gather chains (sums, products) need to stay
 * linear: how often the sweep's graph uses each node, and which nodes a
 * rule built in canonical form already (see {@link applyLink}).
 */
class RewritingBuilder extends OpMethods {
  private settled: Int32Array = new Int32Array(0)
  private uses: Int32Array = new Int32Array(0)
  private canonical: Uint8Array = new Uint8Array(0)
  /** Chains a gathering rule kept whole because they were shared: 2 * id + (1 for products). */
  readonly kept: number[] = []
  private depth = 0
  private readonly byOp: Readonly<Record<string, readonly Rewrite[]>>

  constructor(
    private readonly inner: Builder,
    rules: readonly Rewrite[],
    private readonly maxSteps: number,
  ) {
    super()
    this.byOp = dispatch(rules)
  }

  node(id: NodeId): Node {
    return this.inner.node(id)
  }
  get size(): number {
    return this.inner.size
  }

  apply(op: OpName, inputs: readonly NodeId[], attrs?: Attrs, dtype?: DType): NodeId {
    return this.settle(this.inner.apply(op, inputs, attrs, dtype))
  }

  /**
   * Builds an intermediate link of a chain that the calling rule rebuilds in
   * the form the rules would give it (a partial sum or product in canonical
   * order), without applying the rules to it: applying them would flatten the
   * chain again at every link. The link counts as settled, and canonical.
   */
  applyLink(op: OpName, inputs: readonly NodeId[], mark: number): NodeId {
    const id = this.inner.apply(op, inputs)
    const state = this.stateOf(id)
    if (state !== UNKNOWN) return state === BUSY ? id : state
    this.mark(id, id)
    this.markCanonical(id, mark)
    return id
  }

  /**
   * Builds the head of a chain that the calling rule rebuilt in canonical
   * form. Unlike a link it is not settled: the driver still applies the other
   * rules to it, while rules that gather chains skip it ({@link canonicalMark}).
   */
  applyHead(op: OpName, inputs: readonly NodeId[], mark: number): NodeId {
    const id = this.inner.apply(op, inputs)
    if (this.stateOf(id) === UNKNOWN) this.markCanonical(id, mark)
    return id
  }

  /** The mark {@link markCanonical} gave node `id`, 0 for none. */
  canonicalMark(id: NodeId): number {
    return id < this.canonical.length ? this.canonical[id]! : 0
  }

  /** Marks node `id` as being in the canonical form of the rules that gather chains (`mark` > 0 tells which). */
  markCanonical(id: NodeId, mark = 1): void {
    if (id >= this.canonical.length) {
      const more = new Uint8Array(Math.max(this.canonical.length * 2, id + 1, 1024))
      more.set(this.canonical)
      this.canonical = more
    }
    this.canonical[id] = mark
  }

  /** How many consumers node `id` has in the graph being rewritten (0 for nodes rules built). */
  usesOf(id: NodeId): number {
    return id < this.uses.length ? this.uses[id]! : 0
  }

  /** Records that a gathering rule kept chain `id` whole because it is shared. */
  noteKept(id: NodeId, family: ChainFamily): void {
    this.kept.push(2 * id + (family === 'product' ? 1 : 0))
  }

  /** Counts `count` more consumers of node `id`. */
  addUses(id: NodeId, count: number): void {
    if (id >= this.uses.length) this.uses = grown(this.uses, id + 1, 0)
    this.uses[id]! += count
  }

  private stateOf(id: NodeId): number {
    return id < this.settled.length ? this.settled[id]! : UNKNOWN
  }

  private mark(id: NodeId, state: number): void {
    if (id >= this.settled.length) this.settled = grown(this.settled, id + 1, UNKNOWN)
    this.settled[id] = state
  }

  /** Applies the rules at `id` to a local fixpoint; returns the settled id. */
  settle(id: NodeId): NodeId {
    const state = this.stateOf(id)
    if (state >= 0) return state
    // A node being settled further up is returned as it is, which breaks
    // rule cycles such as a -> b -> a.
    if (state === BUSY || this.depth >= maxDepth) return id
    this.depth++
    // The nodes this settle passes through, all marked with the result at
    // the end; most nodes settle without a rewrite and need no list.
    let visited: NodeId[] | undefined
    this.mark(id, BUSY)
    let current = id
    let steps = 0
    search: while (steps < this.maxSteps) {
      const node = this.inner.node(current)
      const rules = this.byOp[node.op]!
      for (let r = 0; r < rules.length; r++) {
        const found = rules[r]!(this, current, node)
        if (found === undefined || found === current) continue
        const next = this.fit(found, node)
        if (next === undefined) continue
        steps++
        const known = this.stateOf(next)
        if (known >= 0) {
          current = known
          break search
        }
        visited ??= [id]
        if (known === BUSY) {
          // Rewritten back to a node still being settled further up: leave
          // marking it to that caller.
          for (const v of visited) this.mark(v, next)
          this.depth--
          return next
        }
        this.mark(next, BUSY)
        visited.push(next)
        current = next
        continue search
      }
      break
    }
    if (visited !== undefined) for (const v of visited) this.mark(v, current)
    this.mark(id, current)
    this.mark(current, current)
    this.depth--
    return current
  }

  /** `found` with the shape of `node`: broadcast up if smaller, else undefined. */
  private fit(found: NodeId, node: Node): NodeId | undefined {
    const n = this.inner.node(found)
    if (n.dtype !== node.dtype) return undefined
    if (n.shape === node.shape || sameShape(n.shape, node.shape)) return found
    const joint = broadcastShapes(n.shape, node.shape)
    if (joint === undefined || !sameShape(joint, node.shape)) return undefined
    const value = splatOf(n)
    return value !== undefined
      ? this.inner.scalar(value, node.dtype, node.shape)
      : this.inner.broadcast(found, node.shape)
  }

}


// ---- what rules that gather chains (sums, products) ask of the sweep ----
// With a builder other than the sweep's (a rule called directly), they get
// neutral answers: nothing is shared, nothing is canonical yet, and chain
// links are built and rewritten like any node.

/** How many consumers node `id` has in the graph being rewritten; 0 for nodes rules built. @internal */
export const usesOf = (b: Builder, id: NodeId): number => (b instanceof RewritingBuilder ? b.usesOf(id) : 0)

/**
 * The chains a gathering rule reads: sums (`add`, `sub`, `neg`) and products
 * (`mul`, `div`, `neg`). @internal
 */
export type ChainFamily = 'sum' | 'product'

/**
 * Records that a gathering rule kept the shared chain `id` whole instead of
 * gathering it into its consumer. Use counts come from the graph being
 * rewritten, where a consumer may still vanish; if the chain ends up used
 * once, by a chain of its family, the sweep runs again. @internal
 */
export const noteKept = (b: Builder, id: NodeId, family: ChainFamily): void => {
  if (b instanceof RewritingBuilder) b.noteKept(id, family)
}

/** The canonical-form mark of node `id` (0: none), see {@link markCanonical}. @internal */
export const canonicalMark = (b: Builder, id: NodeId): number =>
  b instanceof RewritingBuilder ? b.canonicalMark(id) : 0

/**
 * Marks node `id` as being in the canonical form of a rule that gathers
 * chains, so that the rule need not gather it again; `mark` (1 to 255) is
 * the rule's to interpret. @internal
 */
export const markCanonical = (b: Builder, id: NodeId, mark = 1): void => {
  if (b instanceof RewritingBuilder) b.markCanonical(id, mark)
}

/** Builds an intermediate link of a chain rebuilt in canonical form (settled as it is). @internal */
export const applyLink = (b: Builder, op: OpName, inputs: readonly NodeId[], mark = 1): NodeId =>
  b instanceof RewritingBuilder ? b.applyLink(op, inputs, mark) : b.apply(op, inputs)

/** Builds the head of a chain rebuilt in canonical form (still settled by the other rules). @internal */
export const applyHead = (b: Builder, op: OpName, inputs: readonly NodeId[], mark = 1): NodeId =>
  b instanceof RewritingBuilder ? b.applyHead(op, inputs, mark) : b.apply(op, inputs)

/**
 * One forward sweep: rebuilds each node of `graph` (in id order, so operands
 * come first) from its rewritten operands, applies `rules` at it to a local
 * fixpoint, and prunes what `outputs` no longer need; again on the result
 * where a gathering rule kept a chain whole that then lost its other
 * consumers (see {@link noteKept}). Iterative over node ids, so graph depth
 * does not touch the call stack. @internal
 */
export const rewriteGraph = (
  graph: Graph,
  outputs: readonly NodeId[],
  rules: readonly Rewrite[],
  options: RewriteOptions = {},
): Rooted => {
  const maxSteps = options.maxSteps ?? 64
  let rooted: Rooted = { graph, outputs }
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    const { result, again } = sweepOnce(rooted.graph, rooted.outputs, rules, maxSteps)
    rooted = result
    if (!again) break
  }
  return rooted
}

// Sweeps of one rewrite: the first, and more only where a gathering rule kept
// a shared chain whole and the chain's other consumers then vanished.
const maxSweeps = 4

const sweepOnce = (
  graph: Graph,
  outputs: readonly NodeId[],
  rules: readonly Rewrite[],
  maxSteps: number,
): { readonly result: Rooted; readonly again: boolean } => {
  const nodes = graph.nodes
  const renumber = new Int32Array(nodes.length)
  // How often each needed node is used: by needed consumers, and as an output.
  const uses = new Int32Array(nodes.length)
  for (const o of outputs) uses[o]!++
  // Only ancestors of the outputs are rebuilt: mark them walking down the ids.
  for (let id = nodes.length - 1; id >= 0; id--) {
    if (uses[id]) for (const i of nodes[id]!.inputs) uses[i]!++
  }
  let kept: RewritingBuilder['kept'] = []
  // Operand lists by arity, reused: the builder copies what it keeps.
  const scratch: NodeId[][] = [[], [0], [0, 0], [0, 0, 0]]
  const built = buildScratch((inner) => {
    const b = new RewritingBuilder(inner, rules, maxSteps)
    for (let id = 0; id < nodes.length; id++) {
      if (!uses[id]) continue
      const n = nodes[id]!
      const k = n.inputs.length
      const inputs = scratch[k] ?? new Array<NodeId>(k)
      for (let j = 0; j < k; j++) inputs[j] = renumber[n.inputs[j]!]!
      const r = b.apply(n.op, inputs, n.attrs, n.dtype)
      renumber[id] = r
      b.addUses(r, uses[id]!)
    }
    kept = b.kept
  }, nodes.length)
  const { rooted, renumber: moved } = pruneScratch(
    built.nodes,
    outputs.map((o) => renumber[o]!),
  )
  return { result: rooted, again: kept.length > 0 && keptAlone(rooted, kept, moved) }
}

const consumerOps: { readonly [F in ChainFamily]: ReadonlySet<OpName> } = {
  sum: new Set<OpName>(['add', 'sub', 'neg']),
  product: new Set<OpName>(['mul', 'div', 'neg']),
}

/**
 * True when a chain a gathering rule kept whole, because the graph being
 * rewritten shared it, is used only once in the result, by a chain of its
 * family: another sweep would gather it.
 */
const keptAlone = (rooted: Rooted, kept: readonly number[], moved: Int32Array): boolean => {
  const { nodes } = rooted.graph
  // Uses by consumers and as outputs (an output counts twice: it is wanted whole).
  const uses = new Int32Array(nodes.length)
  const consumer = new Int32Array(nodes.length)
  for (const o of rooted.outputs) uses[o]! += 2
  for (let id = 0; id < nodes.length; id++) {
    for (const i of nodes[id]!.inputs) {
      uses[i]!++
      consumer[i] = id
    }
  }
  return kept.some((entry) => {
    const k = moved[Math.floor(entry / 2)]!
    const family: ChainFamily = entry % 2 === 1 ? 'product' : 'sum'
    return k >= 0 && uses[k] === 1 && consumerOps[family].has(nodes[consumer[k]!]!.op)
  })
}

/**
 * A pass that rewrites a graph with a rule table: one forward sweep that
 * rebuilds every node bottom-up from its already rewritten operands and
 * applies the rules at it until none fires (or `maxSteps` rewrites), then
 * prunes. (Where a rule that gathers sums or products kept a shared chain
 * whole and the chain's other consumers then went away, the sweep runs
 * again on its result, a few times at most, so that the pass is idempotent.)
 * Tables compose by concatenation: `rewrite([...constantRules, ...mine])`.
 * The result is hash-consed, so equal rewritten subexpressions share a node.
 *
 * @example
 * ```ts
 * // x - x -> 0, as a one-rule pass
 * const subSelf: Rewrite = (b, _id, n) =>
 *   n.op === 'sub' && n.inputs[0] === n.inputs[1] ? b.scalarLike(0, n.inputs[0]!) : undefined
 * const cancel = rewrite([subSelf])
 * cancel(graph, outputs)
 * ```
 * @category Passes
 */
export const rewrite = (rules: readonly Rewrite[], options: RewriteOptions = {}): Pass<void> =>
  makePass((graph, outputs) => rewriteGraph(graph, outputs, rules, options))
