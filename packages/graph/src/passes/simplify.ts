import type { Graph, NodeId } from '../graph.js'
import { constantRules } from './fold.js'
import { makePass, type Pass, type Rooted } from './pass.js'
import { type Rewrite, type RewriteOptions, rewriteGraph } from './rewrite.js'
import { arithmeticRules } from './rules/arithmetic.js'
import { canonicalRules } from './rules/canonical.js'
import { stableRules } from './rules/stable.js'
import { structuralRules } from './rules/structural.js'

/**
 * Options of {@link simplify}.
 *
 * @category Passes
 */
export interface SimplifyOptions extends RewriteOptions {
  /** The rule table to use instead of {@link simplifyRules} (and `stable`). */
  readonly rules?: readonly Rewrite[]
  /** Include {@link stableRules} (default true). */
  readonly stable?: boolean
}

/**
 * The rules {@link simplify} applies by default, by concatenation:
 * {@link constantRules}, {@link arithmeticRules}, {@link structuralRules},
 * {@link stableRules} and {@link canonicalRules}.
 *
 * @category Rewrites
 */
export const simplifyRules: readonly Rewrite[] = [
  ...constantRules,
  ...arithmeticRules,
  ...structuralRules,
  ...stableRules,
  ...canonicalRules,
]

const withoutStable: readonly Rewrite[] = [
  ...constantRules,
  ...arithmeticRules,
  ...structuralRules,
  ...canonicalRules,
]

const simplifyGraph = (graph: Graph, outputs: readonly NodeId[], options: SimplifyOptions = {}): Rooted => {
  const rules = options.rules ?? (options.stable === false ? withoutStable : simplifyRules)
  return rewriteGraph(graph, outputs, rules, options)
}

/**
 * Algebraic simplification in one forward sweep: every node is rebuilt from
 * its already simplified operands and the rules of {@link simplifyRules}
 * are applied at it until none fires; then whatever the outputs no longer
 * need is pruned. Every rewrite keeps the node's shape and dtype. Linear in
 * the graph's size, and iterative, so graphs of any depth are fine.
 *
 * Sums and products are gathered as a whole ({@link sumRules},
 * {@link productRules}): like terms and factors merge, constants meet, and
 * each chain is rebuilt in one canonical order, so that the derivative of
 * `x*x + 3*x` reads `3 + 2*x` and that of `sqrt(x^2 + y^2)` reads
 * `x/sqrt(square(x) + square(y))`. A subexpression the graph shares stays one
 * node rather than being copied into each consumer, which keeps the result
 * linear in size, too.
 *
 * The rules assume finite values, as symbolic algebra systems do
 * (`x * 0 -> 0`); divisions are only cancelled where the divisor is provably
 * nonzero ({@link isNonZero}).
 *
 * @example
 * ```ts
 * const { graph, result: y } = buildOrThrow(emptyGraph, (b) => {
 *   const x = b.input('x')
 *   return b.add(b.mul(b.scalar(1), x), b.mul(x, b.scalar(2))) // 1*x + x*2
 * })
 * const s = simplify(graph, [y]) // 3 * x
 * ```
 * @category Passes
 */
export const simplify: Pass<SimplifyOptions> = makePass(simplifyGraph)
