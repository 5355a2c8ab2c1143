import { describeBackendConformance } from '@backprop/backend/conformance'
import { cpuBackend } from './index.js'

describeBackendConformance('cpu', () => cpuBackend())
