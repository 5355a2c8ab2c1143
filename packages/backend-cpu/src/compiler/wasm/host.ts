/** A WebAssembly memory, as far as the backend uses it. @internal */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
}

/**
 * The host's `WebAssembly` object, typed here as far as the backend uses it
 * (the workspace's TypeScript libraries are ES2023 without the DOM, which
 * is where the global's types live), or `undefined` on a host without it.
 *
 * @internal
 */
export interface WasmHost {
  readonly Memory: new (descriptor: { readonly initial: number }) => WasmMemory
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> }
  validate(bytes: Uint8Array): boolean
}

/** The host's WebAssembly, if any. @internal */
export const wasmHost: WasmHost | undefined = (globalThis as { WebAssembly?: WasmHost }).WebAssembly
