import { describeBackendConformance } from '@backprop/backend/conformance'
import { describe, it } from 'vitest'
import { cpuBackend } from './index.js'
import { enableRelaxedSimd } from './testing/relaxed-simd.js'

const relaxed = enableRelaxedSimd()

// Every path of the backend passes the whole suite: WebAssembly SIMD kernels
// (forced even for the suite's small graphs) with plain multiply and add and
// with relaxed SIMD's fused multiply-add, the plain JavaScript fallback, and
// the default choice between them.
describeBackendConformance('cpu (WebAssembly SIMD)', () => cpuBackend({ simd: true, fma: false }))
if (relaxed) describeBackendConformance('cpu (WebAssembly relaxed SIMD, fused multiply-add)', () => cpuBackend({ simd: true, fma: true }))
else describe.skip('cpu (WebAssembly relaxed SIMD): this host has none', () => it('runs the suite', () => undefined))
describeBackendConformance('cpu (plain JavaScript)', () => cpuBackend({ simd: false }))
describeBackendConformance('cpu (auto)', () => cpuBackend())
