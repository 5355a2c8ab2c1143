import { type DType, type NodeId, type Shape, showShape, sizeOf } from '@backprop/graph'

/**
 * Everything that can go wrong when compiling or running a graph on a
 * backend. Each error carries a one-line `message` that says what went wrong
 * and where; backends build them with the constructors below so that every
 * backend reports the same mistake in the same words.
 *
 * @category Errors
 */
export type BackendError =
  | {
      /** A feed the outputs need was not given. */
      readonly _tag: 'MissingFeed'
      /** The feed's name. */
      readonly name: string
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** A feed's shape (or its data's length) does not match the graph. */
      readonly _tag: 'FeedShape'
      /** The feed's name. */
      readonly name: string
      /** The shape the graph declares. */
      readonly expected: Shape
      /** The shape the feed has. */
      readonly actual: Shape
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** A feed's dtype (or its data's array type) does not match the graph. */
      readonly _tag: 'FeedDType'
      /** The feed's name. */
      readonly name: string
      /** The dtype the graph declares. */
      readonly expected: DType
      /** What the feed has: a dtype, or the class of its data. */
      readonly actual: string
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** A feed name that is neither an input nor a param of the graph. */
      readonly _tag: 'UnknownFeed'
      /** The unknown name. */
      readonly name: string
      /** The names the graph does have, in graph order. */
      readonly known: readonly string[]
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** An input and a param of the graph share a name, so a feed would be ambiguous. */
      readonly _tag: 'FeedConflict'
      /** The shared name. */
      readonly name: string
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** A requested output is not a node of the graph. */
      readonly _tag: 'UnknownOutput'
      /** The requested id. */
      readonly output: NodeId
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** Values that do not form a tensor (ragged nesting, non-numbers, wrong length). */
      readonly _tag: 'BadTensor'
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** `run` was called on an executable after `dispose`. */
      readonly _tag: 'Disposed'
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** A worker of a multi-threaded backend failed or exited. */
      readonly _tag: 'WorkerFailed'
      /** The worker's index. */
      readonly worker: number
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** A broken invariant inside a backend: a bug, not a user mistake. */
      readonly _tag: 'Internal'
      /** One line: what and where. */
      readonly message: string
    }

const describeFeed = (kind: string, shape: Shape, dtype: DType): string =>
  `${kind} ${showShape(shape)} ${dtype}`

/**
 * A feed the outputs depend on is absent, e.g.
 * `missing feed 'x' (input [64,784] f32)`.
 *
 * @category Errors
 */
export const missingFeed = (spec: {
  readonly name: string
  readonly kind: string
  readonly shape: Shape
  readonly dtype: DType
}): BackendError => ({
  _tag: 'MissingFeed',
  name: spec.name,
  message: `missing feed '${spec.name}' (${describeFeed(spec.kind, spec.shape, spec.dtype)})`,
})

/**
 * A feed has the wrong shape, e.g. `feed 'x' has shape [3] but the graph expects [2]`.
 *
 * @category Errors
 */
export const feedShapeError = (name: string, actual: Shape, expected: Shape): BackendError => ({
  _tag: 'FeedShape',
  name,
  expected,
  actual,
  message: `feed '${name}' has shape ${showShape(actual)} but the graph expects ${showShape(expected)}`,
})

/**
 * A feed's data holds a different number of values than its own shape needs.
 *
 * @category Errors
 */
export const feedLengthError = (name: string, length: number, shape: Shape, expected: Shape): BackendError => ({
  _tag: 'FeedShape',
  name,
  expected,
  actual: shape,
  message: `feed '${name}' has ${length} values but its shape ${showShape(shape)} needs ${sizeOf(shape)}`,
})

/**
 * A feed has the wrong dtype, e.g. `feed 'x' has dtype f64 but the graph expects f32`,
 * or its data is not the array type its dtype promises.
 *
 * @category Errors
 */
export const feedDTypeError = (name: string, actual: string, expected: DType, holds?: string): BackendError => ({
  _tag: 'FeedDType',
  name,
  expected,
  actual: holds ?? actual,
  message:
    holds === undefined
      ? `feed '${name}' has dtype ${actual} but the graph expects ${expected}`
      : `feed '${name}' says dtype ${actual} but holds a ${holds}; ${expected} needs a ${expected === 'f32' ? 'Float32Array' : 'Float64Array'}`,
})

/**
 * A feed names nothing in the graph (probably a typo); the message lists the
 * names the graph has.
 *
 * @category Errors
 */
export const unknownFeed = (name: string, known: readonly string[]): BackendError => ({
  _tag: 'UnknownFeed',
  name,
  known,
  message:
    known.length === 0
      ? `unknown feed '${name}': the graph has no inputs or params`
      : `unknown feed '${name}': the graph's feeds are ${known.join(', ')}`,
})

/**
 * An input and a param share a name.
 *
 * @category Errors
 */
export const feedConflict = (name: string): BackendError => ({
  _tag: 'FeedConflict',
  name,
  message: `'${name}' names both an input and a param of the graph; feeds are addressed by name, so rename one`,
})

/**
 * A requested output is not a node id of the graph.
 *
 * @category Errors
 */
export const unknownOutput = (output: NodeId, size: number): BackendError => ({
  _tag: 'UnknownOutput',
  output,
  message: `output #${output} is not a node of the graph (its ids are 0..${size - 1})`,
})

/**
 * Values that do not form a tensor.
 *
 * @category Errors
 */
export const badTensor = (message: string): BackendError => ({ _tag: 'BadTensor', message })

/**
 * `run` after `dispose`, on the backend named `backend`.
 *
 * @category Errors
 */
export const disposedError = (backend: string): BackendError => ({
  _tag: 'Disposed',
  message: `cannot run: this ${backend} executable has been disposed`,
})

/**
 * Worker `worker` failed with `reason`.
 *
 * @category Errors
 */
export const workerFailed = (worker: number, reason: string): BackendError => ({
  _tag: 'WorkerFailed',
  worker,
  message: `worker ${worker} failed: ${reason}`,
})

/**
 * A broken invariant inside a backend.
 *
 * @category Errors
 */
export const internalError = (what: string): BackendError => ({
  _tag: 'Internal',
  message: `internal error: ${what}`,
})
