/**
 * The reference CPU backend: one kernel per op on `Float32Array` and
 * `Float64Array`, an execution plan that schedules the outputs' ancestors
 * and frees values after their last use, and a synchronous `evaluate`.
 *
 * @packageDocumentation
 */
export * from './backend.js'
export type { CpuExecutable } from './executable.js'
export type { Kernel, Step } from './kernel.js'
export { kernels } from './kernels/table.js'
export { binaryKernel, identityKernel, ternaryKernel, unaryKernel } from './kernels/elementwise.js'
export type { Plan } from './plan.js'
export { makePlan } from './plan.js'
