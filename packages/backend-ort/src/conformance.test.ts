import { describeBackendConformance } from '@backprop/backend/conformance'
import { ortBackend } from './index.js'

describeBackendConformance('ort', () => ortBackend())
