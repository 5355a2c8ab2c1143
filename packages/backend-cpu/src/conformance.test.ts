import { describeBackendConformance } from '@backprop/backend/conformance'
import { describe, expect, it } from 'vitest'
import { cpuBackend } from './index.js'
import { enableRelaxedSimd } from './testing/relaxed-simd.js'

const relaxed = enableRelaxedSimd()

// Every path of the backend passes the whole suite: WebAssembly SIMD kernels
// (forced even for the suite's small graphs) with plain multiply and add and
// with relaxed SIMD's fused multiply-add, the plain JavaScript fallback, and
// the default choice between them.
describeBackendConformance('cpu (WebAssembly SIMD)', () => cpuBackend({ simd: true, fma: false }))
// Node 20 and later have relaxed SIMD (behind a flag on 20): a host without it
// fails here rather than quietly testing one kernel family fewer.
describe('cpu (WebAssembly relaxed SIMD)', () => it('is available on this host', () => expect(relaxed).toBe(true)))
describeBackendConformance('cpu (WebAssembly relaxed SIMD, fused multiply-add)', () => cpuBackend({ simd: true, fma: true }))
describeBackendConformance('cpu (plain JavaScript)', () => cpuBackend({ simd: false }))
describeBackendConformance('cpu (auto)', () => cpuBackend())
