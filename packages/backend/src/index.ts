/**
 * The backend interface: the tensor value type, the {@link Backend} and
 * {@link Executable} contract every backend implements, the optional
 * in-place parameter updates ({@link StatefulExecutable}), typed errors,
 * and the feed validation all backends share. The conformance suite that
 * every backend runs against itself is a separate entry point,
 * `@backprop/backend/conformance` (it imports vitest).
 *
 * @packageDocumentation
 */
export * from './errors.js'
export * from './tensor.js'
export * from './backend.js'
export * from './state.js'
export * from './feeds.js'
