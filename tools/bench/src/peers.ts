import { createRequire } from 'node:module'
import { dirname } from 'node:path'

/** TensorFlow.js with its cpu and wasm backends registered. */
export type Tf = typeof import('@tensorflow/tfjs')

/** jax-js. */
export type Jax = typeof import('@jax-js/jax')

/** Runs `body` with console output silenced (the peers greet on import, and TensorFlow.js's cpu backend on its first tensor). */
export const quietly = async <T>(body: () => Promise<T>): Promise<T> => {
  const saved = { log: console.log, warn: console.warn, info: console.info }
  console.log = console.warn = console.info = () => undefined
  try {
    return await body()
  } finally {
    Object.assign(console, saved)
  }
}

/**
 * Loads TensorFlow.js (the union package, whose Node build registers the
 * gradients) and its WebAssembly backend, single-threaded with SIMD, or
 * returns why it could not.
 */
export const loadTf = async (): Promise<Tf | string> => {
  try {
    return await quietly(async () => {
      const tf = await import('@tensorflow/tfjs')
      const wasm = await import('@tensorflow/tfjs-backend-wasm')
      const require = createRequire(import.meta.url)
      wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`)
      // One thread, like every system measured here.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
      return tf
    })
  } catch (e) {
    return `TensorFlow.js failed to load: ${e instanceof Error ? e.message : String(e)}`
  }
}

/** Makes `name` TensorFlow.js's active backend. */
export const useTfBackend = async (tf: Tf, name: 'cpu' | 'wasm'): Promise<void> => {
  await quietly(async () => {
    // The first backend query initialises TensorFlow.js, which greets on the console.
    if (tf.getBackend() === name) return
    if (!(await tf.setBackend(name))) throw new Error(`TensorFlow.js backend ${name} is not available`)
    await tf.ready()
  })
}

/**
 * Loads jax-js, which needs a `Float16Array` global that Node 20 lacks
 * (only its name is used unless float16 arrays are made), or returns why it
 * could not. In Node, jax-js runs its WebAssembly kernels on one thread
 * (it uses workers only where a `Worker` global exists).
 */
export const loadJax = async (): Promise<Jax | string> => {
  const g = globalThis as { Float16Array?: unknown }
  g.Float16Array ??= class Float16Array extends Float32Array {}
  try {
    return await quietly(() => import('@jax-js/jax'))
  } catch (e) {
    return `jax-js failed to load: ${e instanceof Error ? e.message : String(e)}`
  }
}
