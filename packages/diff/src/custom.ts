import type { OpName } from '@backprop/graph'
import { type Rule, type RuleTable, rules } from './rules.js'

/**
 * A rule table with some rules replaced, e.g. a straight-through estimator
 * for `sign`, or a clipped gradient for `relu`. The replacements are graph
 * ops like every built-in rule, so second derivatives through them are
 * right. Pass the result as `grad(..., { rules })`.
 *
 * @example
 * ```ts
 * // straight-through: treat sign as the identity when differentiating
 * const straight = withRules({ sign: ({ g }) => [g] })
 * ```
 * @category Rules
 */
export const withRules = (
  overrides: Partial<Record<OpName, Rule>>,
  base: RuleTable = rules,
): RuleTable => ({ ...base, ...overrides })
