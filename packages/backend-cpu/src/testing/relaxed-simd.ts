import { setFlagsFromString } from 'node:v8'
import { relaxedSimdSupported } from '../compiler/wasm/support.js'

/**
 * Turns on WebAssembly's relaxed SIMD where the host keeps it behind a flag
 * (Node 20's V8; later versions have it on by default), so that tests run
 * the fused multiply-add kernels as well as the plain SIMD ones; returns
 * whether the host now has it. Call it before anything compiles: the
 * backend checks for relaxed SIMD once.
 */
export const enableRelaxedSimd = (): boolean => {
  // An unknown flag is ignored, so this is harmless where the feature is on already.
  setFlagsFromString('--experimental-wasm-relaxed-simd')
  return relaxedSimdSupported()
}
