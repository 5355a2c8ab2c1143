/**
 * Symbolic differentiation: one derivative rule per op, the lecture's
 * backward recursion as a graph-to-graph function, and higher derivatives
 * (Hessians, Hessian-vector products, Jacobians) as gradients of gradient
 * graphs.
 *
 * @packageDocumentation
 */
export { elementwise, linear, none, type Rule, type RuleContext, rules, type RuleTable, singular } from './rules.js'
export { grad, gradInto, type GradOptions, gradOrThrow, type Gradient } from './grad.js'
export { type Derived, hessian, hessianInto, hvp, jacobian, jacobianInto } from './higher.js'
export { withRules } from './custom.js'
export { type Evaluate, gradcheck, type GradcheckEntry, type GradcheckOptions, type GradcheckReport, type Values } from './gradcheck.js'
