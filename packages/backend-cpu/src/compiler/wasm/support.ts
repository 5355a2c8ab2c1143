import { Func } from './func.js'
import { wasmHost } from './host.js'
import { ModuleBuilder } from './module.js'
import { simd, type ValType } from './opcodes.js'

let supported: boolean | undefined
let relaxed: boolean | undefined

/** Whether the host validates a module with one function of `params` -> `results` whose body `emit` writes. */
const validates = (params: readonly ValType[], results: readonly ValType[], emit: (f: Func) => void): boolean => {
  try {
    const module = new ModuleBuilder()
    const f = new Func(params, results)
    emit(f)
    module.add(f, 'probe')
    return wasmHost !== undefined && wasmHost.validate(module.encode(1))
  } catch {
    return false
  }
}

/**
 * Whether this host runs WebAssembly with fixed-width SIMD (checked once,
 * by validating a module that uses a `v128` instruction).
 *
 * @internal
 */
export const simdSupported = (): boolean =>
  (supported ??= validates([], ['v128'], (f) => void f.v128(new Uint8Array(16)).v128(new Uint8Array(16)).simd(simd.f32x4Add)))

/**
 * Whether this host's WebAssembly has relaxed SIMD's multiply-add
 * (`f32x4.relaxed_madd` and `f64x2.relaxed_madd`), checked once by
 * validating a module that uses both. Browsers and Node 22 have it; Node 20
 * only behind V8's `--experimental-wasm-relaxed-simd`.
 *
 * @internal
 */
export const relaxedSimdSupported = (): boolean =>
  (relaxed ??=
    simdSupported() &&
    validates(['v128', 'v128', 'v128'], ['v128'], (f) => {
      // relaxed_madd(relaxed_madd(a, b, c), b, c) in f32x4 then f64x2
      f.get(0).get(1).get(2).simd(simd.f32x4RelaxedMadd).get(1).get(2).simd(simd.f64x2RelaxedMadd)
    }))
