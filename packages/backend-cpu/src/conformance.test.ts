import { describeBackendConformance, reaching } from '@backprop/backend/conformance'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { cpuBackend, statsOf } from './index.js'
import { compilesTo, missesFma, missesWasm } from './testing/engines.js'
import { relaxedSimdSupported } from './compiler/wasm/support.js'

const relaxed = relaxedSimdSupported()

// The suite runs once per engine. The plain JavaScript kernels take every
// graph: the whole suite. The WebAssembly kernels (forced: the suite's
// graphs are below the 'auto' threshold) run the op cases whose programs
// hold WebAssembly code, and the parts whose every graph does (kinks and
// ties, float32 rounding, random broadcasts and reductions, in-place
// updates); softmax's family, transposes and copies run the same
// JavaScript kernels on both targets, and feed validation and the
// executable's behaviour are the same code. Relaxed SIMD's fused
// multiply-add changes the matrix products only: the cases with one. Each
// engine's backend fails a compile that does not reach it, so every test of
// these runs exercises the engine it names.
describeBackendConformance('cpu (plain JavaScript)', () => cpuBackend({ simd: false }))

const wasm = cpuBackend({ simd: true, fma: false })
describeBackendConformance('cpu (WebAssembly SIMD)', () => reaching(wasm, missesWasm), {
  sections: ['ops', 'conventions', 'rounding', 'random-arithmetic', 'state'],
  cases: compilesTo(wasm, missesWasm),
})

// Node 20 and later have relaxed SIMD (behind a flag on 20): a host without it
// fails here rather than quietly testing one kernel family fewer.
describe('cpu (WebAssembly relaxed SIMD)', () => it('is available on this host', () => expect(relaxed).toBe(true)))
const fma = cpuBackend({ simd: true, fma: true })
describeBackendConformance('cpu (WebAssembly relaxed SIMD, fused multiply-add)', () => reaching(fma, missesFma), {
  sections: ['ops', 'state'],
  cases: compilesTo(fma, missesFma),
})

// The default picks between the two engines by the work per run.
describe('cpu (auto)', () => {
  const targetOf = (n: number): string | undefined => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.matmul(b.input('a', [n, n]), b.input('b', [n, n])))
    const exe = cpuBackend().compile(graph, [result])
    if (E.isLeft(exe)) throw new Error(exe.left.message)
    void exe.right.dispose()
    return statsOf(exe.right)?.target
  }
  it('compiles a graph below 64k flops per run for JavaScript and a larger one for WebAssembly', () => {
    expect(targetOf(8)).toBe('js') // 2 * 8^3 = 1024 flops
    expect(targetOf(64)).toBe('wasm') // 2 * 64^3 = 524288 flops
  })
})
