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
export {
  badTensor,
  type BackendError,
  disposedError,
  feedConflict,
  feedDTypeError,
  feedLengthError,
  feedShapeError,
  internalError,
  missingFeed,
  unknownFeed,
  unknownOutput,
  workerFailed,
} from './errors.js'
export { allocate, cloneTensor, fromNested, isDataOf, type Nested, scalarTensor, type Tensor, type TensorData, tensor, toNested } from './tensor.js'
export type { Backend, CompileOptions, Executable, Feeds, FeedSpec, TensorSpec } from './backend.js'
export { isStateful, type ParamStore, type ParamUpdate, type StatefulExecutable } from './state.js'
export { checkFeeds, checkOutputs, checkUpdates, feedSpecs, outputSpecs } from './feeds.js'
