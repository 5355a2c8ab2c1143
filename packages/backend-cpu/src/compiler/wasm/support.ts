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

/** Whether the host validates relaxed SIMD's multiply-add, in f32x4 and f64x2. */
const validatesRelaxedMadd = (): boolean =>
  validates(['v128', 'v128', 'v128'], ['v128'], (f) => {
    // relaxed_madd(relaxed_madd(a, b, c), b, c) in f32x4 then f64x2
    f.get(0).get(1).get(2).simd(simd.f32x4RelaxedMadd).get(1).get(2).simd(simd.f64x2RelaxedMadd)
  })

/**
 * V8's switch for relaxed SIMD, on by default from Node 22 (V8 11.4) and
 * in browsers, off by default in Node 20, whose V8 has the whole feature.
 */
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd'

/**
 * Sets a V8 flag through Node's `v8.setFlagsFromString` where the host is
 * Node (reached through `process.getBuiltinModule`, so that this module
 * imports nothing of Node and still loads in browsers); does nothing
 * elsewhere. V8 ignores a flag it does not know.
 */
const setV8Flag = (flag: string): void => {
  type V8 = { readonly setFlagsFromString?: (flags: string) => void }
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => V8 | undefined } }
  host.process?.getBuiltinModule?.('node:v8')?.setFlagsFromString?.(flag)
}

/**
 * Whether this host's WebAssembly has relaxed SIMD's multiply-add
 * (`f32x4.relaxed_madd` and `f64x2.relaxed_madd`), checked once by
 * validating a module that uses both. Where it is missing only because V8
 * keeps it behind {@link RELAXED_SIMD_FLAG} (Node 20), the flag is turned
 * on first: the fused products are about 1.3x faster there (the MNIST
 * training step, measured), and Node 22 and browsers run them by default.
 * The flag only adds instructions to what V8 accepts, so no module that
 * compiled before compiles differently.
 *
 * @internal
 */
export const relaxedSimdSupported = (): boolean =>
  (relaxed ??= simdSupported() && (validatesRelaxedMadd() || (setV8Flag(RELAXED_SIMD_FLAG), validatesRelaxedMadd())))
