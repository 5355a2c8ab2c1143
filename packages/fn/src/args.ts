import { type BackendError, badTensor, type Feeds, type FeedSpec, fromNested, type Nested, type Tensor, tensor, unknownFeed } from '@backprop/backend'
import { sizeOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'

/**
 * One argument of a compiled function: a tensor, a plain number (a
 * scalar), a nested array of numbers (its nesting gives the shape), or a
 * flat array of numbers that fills the declared shape row-major.
 *
 * @category Functions
 */
export type Arg = Tensor | number | Nested | ArrayLike<number>

/**
 * The arguments of a compiled function, by input name.
 *
 * @category Functions
 */
export type Args = Readonly<Record<string, Arg>>

const isTensor = (arg: Arg): arg is Tensor =>
  typeof arg === 'object' && 'shape' in arg && 'dtype' in arg && 'data' in arg

// A flat array of numbers (typed or not) whose length fills the declared shape.
const fillsShape = (arg: Arg, spec: FeedSpec): arg is ArrayLike<number> =>
  typeof arg === 'object' &&
  (ArrayBuffer.isView(arg) || (Array.isArray(arg) && arg.every((v) => typeof v === 'number'))) &&
  (arg as ArrayLike<number>).length === sizeOf(spec.shape)

/**
 * The tensor an argument stands for, in the dtype of the feed it goes to;
 * its shape is checked by the executable, so a wrong shape is the
 * backend's `FeedShape` error naming the input.
 */
const toTensor = (arg: Arg, spec: FeedSpec): E.Either<BackendError, Tensor> => {
  if (isTensor(arg)) return E.right(arg)
  if (typeof arg === 'number') return E.right(tensor([arg], [], spec.dtype))
  if (fillsShape(arg, spec)) return E.right(tensor(arg, spec.shape, spec.dtype))
  if (ArrayBuffer.isView(arg)) return E.right(tensor(arg as ArrayLike<number>, [(arg as ArrayLike<number>).length], spec.dtype))
  return E.mapLeft((e: BackendError) => badTensor(`argument '${spec.name}': ${e.message}`))(fromNested(arg, spec.dtype))
}

/**
 * The feeds for `args`: each converted to a tensor of its feed's dtype. A
 * name the function does not take is an `UnknownFeed` error listing those
 * it does; missing and misshapen arguments are left to the executable's
 * own feed checks.
 *
 * @internal
 */
export const feedsOf = (args: Args, specs: readonly FeedSpec[]): E.Either<BackendError, Feeds> => {
  const feeds: Record<string, Tensor> = {}
  for (const [name, arg] of Object.entries(args)) {
    const spec = specs.find((s) => s.name === name)
    if (spec === undefined) return E.left(unknownFeed(name, specs.map((s) => s.name)))
    const converted = toTensor(arg, spec)
    if (E.isLeft(converted)) return converted
    feeds[name] = converted.right
  }
  return E.right(feeds)
}
