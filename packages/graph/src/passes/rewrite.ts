import { buildScratch } from '../builder.js'
import type { Graph, NodeId } from '../graph.js'
import type { OpName } from '../ops.js'
import { makePass, type Pass, type Rooted } from './pass.js'
import { pruneScratch } from './prune.js'
import { type ChainFamily, type OperandSwap, type RuleFunction, SettlingBuilder } from './rule-context.js'

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
 * node. A rule without `ops` is tried everywhere. `b` is a `Builder`, and
 * also tells rules that gather chains what they need (see
 * {@link RewriteContext}).
 *
 * @example
 * ```ts
 * // x * 1 -> x
 * const mulOne: Rewrite = (b, _id, n) =>
 *   n.op === 'mul' && constantValue(b, n.inputs[1]!) === 1 ? n.inputs[0] : undefined
 * ```
 * @category Rewrites
 */
export type Rewrite = RuleFunction & {
  /** The ops at whose nodes the rule can fire; all when absent. */
  readonly ops?: readonly OpName[]
  /**
   * For a rule that puts the two operands of a commutative op in order:
   * true when it would rewrite a new node `op(a, c)` to `op(c, a)` and
   * nothing else. The sweep then builds `op(c, a)` in the first place
   * (when the rule is the first of its table with a `swaps` for that op), so
   * that a large graph does not build, hash and drop a node per swapped pair.
   * It must agree with the rule, and the rules before it in the table must
   * not fire at such a pair.
   */
  readonly swaps?: OperandSwap
}

/**
 * Tags a rule with the ops it can fire at, so that the driver tries it only
 * at nodes of those ops, and with the operand swap it makes, if any (see
 * {@link Rewrite}'s `swaps`). The rule itself should still check the op: it
 * may be called directly.
 *
 * @example
 * ```ts
 * // x / 1 -> x
 * const divOne = onOps(['div'], (b, _id, n) =>
 *   n.op === 'div' && constantValue(b, n.inputs[1]!) === 1 ? n.inputs[0] : undefined)
 * ```
 * @category Rewrites
 */
export const onOps = (ops: readonly OpName[], rule: RuleFunction, swaps?: OperandSwap): Rewrite =>
  Object.assign(rule, swaps === undefined ? { ops } : { ops, swaps })

/**
 * Options of a rewrite sweep.
 *
 * @category Rewrites
 */
export interface RewriteOptions {
  /** Rewrites applied at one node before it counts as settled (default 64). */
  readonly maxSteps?: number
}

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
    if (!uses[id]) continue
    const inputs = nodes[id]!.inputs
    for (let j = 0; j < inputs.length; j++) uses[inputs[j]!]!++
  }
  let kept: SettlingBuilder['kept'] = []
  // Operand lists by arity, reused: the builder copies what it keeps.
  const scratch: NodeId[][] = [[], [0], [0, 0], [0, 0, 0]]
  const built = buildScratch((inner) => {
    const b = new SettlingBuilder(inner, rules, maxSteps)
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
    const inputs = nodes[id]!.inputs
    for (let j = 0; j < inputs.length; j++) {
      uses[inputs[j]!]!++
      consumer[inputs[j]!] = id
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
