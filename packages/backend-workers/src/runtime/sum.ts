import type { DType } from '@backprop/graph'

/**
 * Adds `length` elements at byte offset `src` of a run buffer into the
 * elements at byte offset `dst` (`dst[i] += src[i]`), both of `dtype` and
 * aligned for it.
 *
 * @internal
 */
export type AddInto = (dtype: DType, dst: number, src: number, length: number) => void

/**
 * A run buffer with its adder: a `SharedArrayBuffer` that is the memory of
 * a small WebAssembly module whose loops add 16 bytes at a time (f32x4,
 * f64x2), or, where WebAssembly SIMD is missing, a plain one with loops in
 * JavaScript. Either way every element is added once, in IEEE arithmetic
 * of its dtype, so the sums are the same bit for bit.
 *
 * @internal
 */
export interface SummingBuffer {
  readonly buffer: SharedArrayBuffer
  readonly add: AddInto
}

/** Bytes in a WebAssembly page, and the most pages a 32-bit memory has (4 GiB). */
const PAGE = 65536
const MAX_PAGES = 65536

// --- The module, encoded by hand: (import "env" "memory" shared), add32 and add64 (dst, src, n). ---

const leb = (n: number): number[] => {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}
const section = (id: number, content: number[]): number[] => [id, ...leb(content.length), ...content]
const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))]

const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (local: number) => [0x20, local],
  set: (local: number) => [0x21, local],
  // Only the small constants of these loops: one byte of signed LEB128.
  i32: (value: number) => {
    if (value < -64 || value > 63) throw new Error(`internal: i32.const ${value} needs more than one byte`)
    return [0x41, value & 0x7f]
  },
  i32Eqz: [0x45],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32And: [0x71],
  i32Shl: [0x74],
  v128Load: [0xfd, 0x00, 0x00, 0x00],
  v128Store: [0xfd, 0x0b, 0x00, 0x00],
} as const

/**
 * The body of `add(dst, src, n)` for one element type: a SIMD loop over
 * whole 16-byte lanes, then a scalar loop over the remaining elements.
 * Locals: 0 dst, 1 src, 2 n (params), 3 end of the SIMD part.
 */
const addBody = (bytes: 4 | 8): number[] => {
  const shift = bytes === 4 ? 2 : 3
  const lanes = 16 / bytes
  const simdAdd = bytes === 4 ? [0xfd, 0xe4, 0x01] : [0xfd, 0xf0, 0x01] // f32x4.add, f64x2.add
  const load = bytes === 4 ? [0x2a, 0x02, 0x00] : [0x2b, 0x03, 0x00] // f32.load, f64.load
  const store = bytes === 4 ? [0x38, 0x02, 0x00] : [0x39, 0x03, 0x00]
  const add = bytes === 4 ? [0x92] : [0xa0]
  const advance = (local: number, by: number) => [...op.get(local), ...op.i32(by), ...op.i32Add, ...op.set(local)]
  const code = [
    // end = dst + (n rounded down to whole lanes) * bytes
    ...op.get(0), ...op.get(2), ...op.i32(-lanes), ...op.i32And, ...op.i32(shift), ...op.i32Shl, ...op.i32Add, ...op.set(3),
    ...op.block, ...op.loop,
    ...op.get(0), ...op.get(3), ...op.i32GeU, ...op.brIf(1),
    ...op.get(0), ...op.get(0), ...op.v128Load, ...op.get(1), ...op.v128Load, ...simdAdd, ...op.v128Store,
    ...advance(0, 16), ...advance(1, 16), ...op.br(0),
    ...op.end, ...op.end,
    // the last n mod lanes elements
    ...op.get(2), ...op.i32(lanes - 1), ...op.i32And, ...op.set(2),
    ...op.block, ...op.loop,
    ...op.get(2), ...op.i32Eqz, ...op.brIf(1),
    ...op.get(0), ...op.get(0), ...load, ...op.get(1), ...load, ...add, ...store,
    ...advance(0, bytes), ...advance(1, bytes), ...op.get(2), ...op.i32(1), ...op.i32Sub, ...op.set(2), ...op.br(0),
    ...op.end, ...op.end,
    ...op.end,
  ]
  const body = [1, 1, 0x7f, ...code] // one local of type i32
  return [...leb(body.length), ...body]
}

const moduleBytes = (): Uint8Array =>
  Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]), // type 0: (i32, i32, i32) -> ()
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x03, 0, ...leb(MAX_PAGES)]), // shared memory, 0 to 65536 pages
    ...section(3, [2, 0, 0]),
    ...section(7, [2, ...name('add32'), 0x00, 0, ...name('add64'), 0x00, 1]),
    ...section(10, [2, ...addBody(4), ...addBody(8)]),
  ])

/**
 * The host's `WebAssembly`, typed as far as this file uses it (the
 * workspace's TypeScript libraries have no DOM, where its types live).
 */
interface Wasm {
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => { readonly buffer: SharedArrayBuffer }
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> }
  validate(bytes: Uint8Array): boolean
}
// Through `unknown`: where the DOM's types are present, their Memory's buffer is an ArrayBuffer, not shared.
const wasm: Wasm | undefined = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly

let compiled: object | null | undefined

/** The compiled module, or null where WebAssembly, shared memory or SIMD is missing. */
const summingModule = (): object | null => {
  if (compiled === undefined) {
    try {
      const bytes = moduleBytes()
      compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null
    } catch {
      compiled = null
    }
  }
  return compiled
}


// One loop per array type, unrolled: a loop that sees both types stays polymorphic and runs several times slower.
const addInto32 = (out: Float32Array, part: Float32Array): void => {
  const n = out.length
  let i = 0
  for (; i + 3 < n; i += 4) {
    out[i]! += part[i]!
    out[i + 1]! += part[i + 1]!
    out[i + 2]! += part[i + 2]!
    out[i + 3]! += part[i + 3]!
  }
  for (; i < n; i++) out[i]! += part[i]!
}
const addInto64 = (out: Float64Array, part: Float64Array): void => {
  const n = out.length
  let i = 0
  for (; i + 1 < n; i += 2) {
    out[i]! += part[i]!
    out[i + 1]! += part[i + 1]!
  }
  if (i < n) out[i]! += part[i]!
}

/**
 * `out[i] += part[i]` for every i, in `out`'s dtype (an f32 sum is rounded
 * to float32 after every addition, as the CPU backend's own f32 sums are).
 *
 * @internal
 */
export const addInto = (out: Float32Array | Float64Array, part: Float32Array | Float64Array): void => {
  if (out instanceof Float32Array) addInto32(out, part as Float32Array)
  else addInto64(out, part as Float64Array)
}

/**
 * A run buffer of at least `bytes` bytes with its adder (see
 * {@link SummingBuffer}); `useWasm: false` forces the JavaScript loops.
 *
 * @internal
 */
export const summingBuffer = (bytes: number, useWasm = true): SummingBuffer => {
  const module = useWasm ? summingModule() : null
  const pages = Math.max(1, Math.ceil(bytes / PAGE))
  // A 32-bit WebAssembly memory holds at most 65536 pages (4 GiB); a larger buffer gets the JavaScript loops.
  if (module !== null && wasm !== undefined && pages <= MAX_PAGES) {
    try {
      const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true })
      const exports = new wasm.Instance(module, { env: { memory } }).exports as Record<'add32' | 'add64', (dst: number, src: number, n: number) => void>
      const { add32, add64 } = exports
      return {
        buffer: memory.buffer,
        add: (dtype, dst, src, length) => (dtype === 'f32' ? add32(dst, src, length) : add64(dst, src, length)),
      }
    } catch {
      // Out of memory for a WebAssembly memory of that size: a plain SharedArrayBuffer may still do.
    }
  }
  const buffer = new SharedArrayBuffer(bytes)
  return {
    buffer,
    add: (dtype, dst, src, length) =>
      dtype === 'f32'
        ? addInto32(new Float32Array(buffer, dst, length), new Float32Array(buffer, src, length))
        : addInto64(new Float64Array(buffer, dst, length), new Float64Array(buffer, src, length)),
  }
}
