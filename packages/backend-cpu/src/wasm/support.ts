import { Func } from './func.js'
import { wasmHost } from './host.js'
import { ModuleBuilder } from './module.js'
import { simd } from './opcodes.js'

let supported: boolean | undefined

/**
 * Whether this host runs WebAssembly with fixed-width SIMD (checked once,
 * by validating a module that uses a `v128` instruction).
 *
 * @internal
 */
export const simdSupported = (): boolean => {
  if (supported === undefined) {
    try {
      const module = new ModuleBuilder()
      const f = new Func([], ['v128'])
      f.v128(new Uint8Array(16)).v128(new Uint8Array(16)).simd(simd.f32x4Add)
      module.add(f, 'probe')
      supported = wasmHost !== undefined && wasmHost.validate(module.encode(1))
    } catch {
      supported = false
    }
  }
  return supported!
}
