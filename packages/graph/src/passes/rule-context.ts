import type { Builder } from '../builder.js'
import type { Attrs, Node, NodeId } from '../graph.js'
import { type OpName, opNames } from '../ops.js'
import { OpMethods } from '../op-methods.js'
import { broadcastShapes, type DType, sameShape } from '../shape.js'
import { splatOf } from './tensor.js'

/**
 * The chains a gathering rule reads: sums (`add`, `sub`, `neg`) and products
 * (`mul`, `div`, `neg`).
 *
 * @category Rewrites
 */
export type ChainFamily = 'sum' | 'product'

/**
 * What a {@link Rewrite} builds with: a builder whose nodes the sweep
 * settles as they are built, and what rules that gather chains (sums,
 * products) need to stay linear: how often the graph being rewritten uses a
 * node, and which nodes a rule already built in canonical form. Most rules
 * use it as a plain `Builder`.
 *
 * @category Rewrites
 */
export interface RewriteContext extends Builder {
  /** How many consumers node `id` has in the graph being rewritten (0 for nodes rules built). */
  usesOf(id: NodeId): number
  /**
   * Records that a gathering rule kept the shared chain `id` whole instead
   * of gathering it into its consumer. Use counts come from the graph being
   * rewritten, where a consumer may still vanish; if the chain ends up used
   * once, by a chain of its family, the sweep runs again.
   */
  noteKept(id: NodeId, family: ChainFamily): void
  /** The mark {@link RewriteContext.markCanonical} gave node `id`, 0 for none. */
  canonicalMark(id: NodeId): number
  /**
   * Marks node `id` as being in the canonical form of a rule that gathers
   * chains, so that the rule need not gather it again; `mark` (1 to 255) is
   * the rule's to interpret.
   */
  markCanonical(id: NodeId, mark?: number): void
  /**
   * Builds an intermediate link of a chain that the calling rule rebuilds in
   * the form the rules would give it (a partial sum or product in canonical
   * order), without applying the rules to it: applying them would flatten the
   * chain again at every link. The link counts as settled, and canonical.
   */
  applyLink(op: OpName, inputs: readonly NodeId[], mark?: number): NodeId
  /**
   * Builds the head of a chain that the calling rule rebuilt in canonical
   * form. Unlike a link it is not settled: the sweep still applies the other
   * rules to it, while rules that gather chains skip it (see
   * {@link RewriteContext.canonicalMark}).
   */
  applyHead(op: OpName, inputs: readonly NodeId[], mark?: number): NodeId
}

/**
 * One local rewrite rule: given node `id` (whose operands are already
 * rewritten), return the id of an equivalent node built with `b`, or
 * `undefined` when the rule does not apply. See `rewrite`.
 *
 * @category Rewrites
 */
export type RuleFunction = (b: RewriteContext, id: NodeId, node: Node) => NodeId | undefined

/**
 * True when a rule would rewrite `op(a, c)`, a node it has not seen yet, to
 * `op(c, a)` and do nothing else: see `Rewrite.swaps`.
 *
 * @category Rewrites
 */
export type OperandSwap = (b: RewriteContext, op: OpName, a: NodeId, c: NodeId) => boolean

/** A rule and the ops it fires at, as `rewrite.ts` defines {@link Rewrite}s. */
type TaggedRule = RuleFunction & { readonly ops?: readonly OpName[]; readonly swaps?: OperandSwap }

/** A table's rules by the op they can fire at, and the operand swap of the first of them that has one. */
interface Dispatch {
  readonly rules: Readonly<Record<string, readonly TaggedRule[]>>
  readonly swaps: Readonly<Record<string, OperandSwap | undefined>>
}

// Computed once per table.
const dispatchCache = new WeakMap<readonly TaggedRule[], Dispatch>()

const dispatch = (rules: readonly TaggedRule[]): Dispatch => {
  let table = dispatchCache.get(rules)
  if (table === undefined) {
    const byOp: Record<string, TaggedRule[]> = {}
    const swaps: Record<string, OperandSwap | undefined> = {}
    for (const op of opNames) {
      byOp[op] = rules.filter((r) => r.ops === undefined || r.ops.includes(op))
      swaps[op] = byOp[op].find((r) => r.swaps !== undefined)?.swaps
    }
    table = { rules: byOp, swaps }
    dispatchCache.set(rules, table)
  }
  return table
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
 * The {@link RewriteContext} of a sweep: a builder whose every node is
 * rewritten by the rules as it is built, so a node's id always stands for
 * its settled form. Memoised by id: each node is settled once per sweep.
 *
 * @internal
 */
export class SettlingBuilder extends OpMethods implements RewriteContext {
  private settled: Int32Array = new Int32Array(0)
  private uses: Int32Array = new Int32Array(0)
  private canonical: Uint8Array = new Uint8Array(0)
  /** Chains a gathering rule kept whole because they were shared: 2 * id + (1 for products). */
  readonly kept: number[] = []
  private depth = 0
  private readonly byOp: Readonly<Record<string, readonly TaggedRule[]>>
  private readonly swapsByOp: Readonly<Record<string, OperandSwap | undefined>>

  constructor(
    private readonly inner: Builder,
    rules: readonly TaggedRule[],
    private readonly maxSteps: number,
  ) {
    super()
    const table = dispatch(rules)
    this.byOp = table.rules
    this.swapsByOp = table.swaps
  }

  node(id: NodeId): Node {
    return this.inner.node(id)
  }
  get size(): number {
    return this.inner.size
  }

  apply(op: OpName, inputs: readonly NodeId[], attrs?: Attrs, dtype?: DType): NodeId {
    // A pair the rules would only swap is built swapped: no node to throw away.
    const swaps = inputs.length === 2 ? this.swapsByOp[op] : undefined
    if (swaps !== undefined && swaps(this, op, inputs[0]!, inputs[1]!)) {
      return this.settle(this.inner.apply(op, [inputs[1]!, inputs[0]!], attrs, dtype))
    }
    return this.settle(this.inner.apply(op, inputs, attrs, dtype))
  }

  /**
   * Builds an intermediate link of a chain that the calling rule rebuilds in
   * the form the rules would give it (a partial sum or product in canonical
   * order), without applying the rules to it: applying them would flatten the
   * chain again at every link. The link counts as settled, and canonical.
   */
  applyLink(op: OpName, inputs: readonly NodeId[], mark = 1): NodeId {
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
  applyHead(op: OpName, inputs: readonly NodeId[], mark = 1): NodeId {
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
