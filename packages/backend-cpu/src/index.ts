/**
 * The CPU backend: graphs compiled once into plans (views instead of
 * copies, fused elementwise loops, matrix products in any transposition
 * with fused epilogues, buffers laid out by liveness in one arena) that run
 * on WebAssembly SIMD kernels generated per executable, or on plain
 * JavaScript; optional in-place parameter updates; the reference kernels
 * and a synchronous `evaluate`.
 *
 * @packageDocumentation
 */
export { type CpuBackend, type CpuBackendOptions, cpuBackend, evaluate, evaluateOrThrow, statsOf } from './backend.js'
export type { CpuExecutable } from './executable.js'
export { touchPages } from './pages.js'
export { type CpuCompileOptions, isStateful, type ParamStore, type ParamUpdate, type StatefulExecutable } from './state.js'
export type { ProgramStats, Target } from './compiler/target/program.js'
export type { Kernel, Step } from './reference/kernel.js'
export { kernels } from './reference/kernels/table.js'
export { binaryKernel, identityKernel, ternaryKernel, unaryKernel } from './reference/kernels/elementwise.js'
export type { Plan } from './reference/plan.js'
export { makePlan } from './reference/plan.js'
