import * as E from 'fp-ts/lib/Either.js'

/**
 * What every `Left` of the packages holds: a tag that names the kind of
 * mistake and a one-line message that says what and where.
 *
 * @category Errors
 */
export interface TaggedError {
  /** The kind of mistake, e.g. `ShapeError` or `FeedShape`. */
  readonly _tag: string
  /** One line: what went wrong and where. */
  readonly message: string
}

/**
 * The one error the throwing forms throw (`buildOrThrow`, `orThrow`, the
 * compiled functions of `@backprop/fn`): its `message` is exactly the
 * message of the `Left` the Either form returns, and `error` is that `Left`
 * value, so a `catch` can still switch on `error._tag`.
 *
 * @example
 * ```ts
 * try {
 *   orThrow(parse('sin(x'))
 * } catch (e) {
 *   if (e instanceof BackpropError) console.log(e.error._tag, e.message) // ParseError unexpected end of input at column 6
 * }
 * ```
 * @category Errors
 */
export class BackpropError<L extends TaggedError = TaggedError> extends Error {
  /** The `Left` value of the Either form. */
  readonly error: L
  /** Wraps `error`, taking its message. */
  constructor(error: L) {
    super(error.message)
    this.name = 'BackpropError'
    this.error = error
  }
}

/**
 * The `Right` value of `either`, or a thrown {@link BackpropError} carrying
 * the `Left`: the throwing form of any call of the packages, for scripts
 * that would rather not check each result.
 *
 * @example
 * ```ts
 * const { graph, output } = orThrow(parse('x^2 * sin(x)'))
 * const { graph: g, gradients } = orThrow(grad(graph, output, [0]))
 * ```
 * @category Errors
 */
export const orThrow = <L extends TaggedError, A>(either: E.Either<L, A>): A => {
  if (E.isLeft(either)) throw new BackpropError(either.left)
  return either.right
}
