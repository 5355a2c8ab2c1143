/**
 * Symbolic differentiation: one derivative rule per op, the lecture's
 * backward recursion as a graph-to-graph function, and higher derivatives
 * (Hessians, Hessian-vector products, Jacobians) as gradients of gradient
 * graphs.
 *
 * @packageDocumentation
 */
export * from './rules.js'
export * from './grad.js'
export * from './higher.js'
export * from './custom.js'
export * from './gradcheck.js'
