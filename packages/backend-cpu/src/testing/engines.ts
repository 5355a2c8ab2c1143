import type { Executable } from '@backprop/backend'
import type { Graph, NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { type CpuBackend, statsOf } from '../backend.js'

/** The instruction kinds that run WebAssembly code (see `ProgramStats.counts`). */
const wasmKinds = ['group:wasm', 'matmul', 'reduce:wasm'] as const

/**
 * Why `exe` runs none of its work in WebAssembly (a `js` target, or a `wasm`
 * program whose every instruction fell back to the JavaScript kernels), or
 * `undefined` when some of it does.
 */
export const missesWasm = (exe: Executable): string | undefined => {
  const stats = statsOf(exe)
  if (stats?.target !== 'wasm') return `compiled for ${stats?.target ?? 'another backend'}`
  return wasmKinds.some((k) => (stats.counts[k] ?? 0) > 0) ? undefined : `no WebAssembly instruction among ${JSON.stringify(stats.counts)}`
}

/** Why `exe`'s matrix products do not multiply-add with relaxed SIMD, or `undefined` when they do. */
export const missesFma = (exe: Executable): string | undefined => {
  const stats = statsOf(exe)
  if (!(stats?.fma ?? false)) return 'products without relaxed SIMD fused multiply-add'
  return (stats?.counts.matmul ?? 0) > 0 ? undefined : 'no matrix product'
}

/**
 * Whether `backend` compiles `outputs` of `graph` to an executable that
 * `misses` finds nothing missing in: for registering only the conformance
 * cases that reach an engine.
 */
export const compilesTo =
  (backend: CpuBackend, misses: (exe: Executable) => string | undefined) =>
  (graph: Graph, outputs: readonly NodeId[]): boolean => {
    const compiled = backend.compile(graph, outputs)
    if (E.isLeft(compiled)) return false
    const reached = misses(compiled.right) === undefined
    void compiled.right.dispose()
    return reached
  }
