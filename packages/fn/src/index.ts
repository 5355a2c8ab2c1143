/**
 * The short path for research code: functions compiled once from a graph
 * builder recipe or an expression, called many times with tensors or plain
 * numbers, returning values, gradients and Hessians computed from symbolic
 * derivative graphs, on any backend ({@link valueAndGrad}, {@link jit}).
 * Built on the Either API of the other packages, which stays the way to
 * compose graphs; the functions here throw one typed error,
 * `BackpropError`, with the message the Either forms give.
 *
 * @example
 * ```ts
 * import { valueAndGrad } from '@backprop/fn'
 * const f = valueAndGrad('x^2 * y + sin(y)')
 * const { value, grad } = f({ x: 1.5, y: -0.5 })
 * ```
 *
 * @packageDocumentation
 */
export type { Arg, Args } from './args.js'
export type { Recipe, Shapes } from './trace.js'
export type { AsyncFn, CompileFnOptions, CompiledParts, FnFor, SyncBackend, SyncFn } from './compiled.js'
export { type Outputs, type Results, jit, tryJit } from './jit.js'
export { type Gradients, type NamesOf, type ValueAndGradOptions, type ValueOf, tryValueAndGrad, valueAndGrad } from './value-and-grad.js'
