import { describeBackendConformance } from '@backprop/backend/conformance'
import { cpuBackend } from './index.js'

// Every path of the backend passes the whole suite: WebAssembly SIMD kernels
// (forced even for the suite's small graphs), the plain JavaScript fallback,
// and the default choice between them.
describeBackendConformance('cpu (WebAssembly SIMD)', () => cpuBackend({ simd: true }))
describeBackendConformance('cpu (plain JavaScript)', () => cpuBackend({ simd: false }))
describeBackendConformance('cpu (auto)', () => cpuBackend())
