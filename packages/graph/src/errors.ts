/**
 * Everything a user can get wrong when building, reading or checking a graph.
 * Each error carries a `message` that says what went wrong and where, ready to
 * be printed on one line.
 *
 * @category Errors
 */
export type GraphError =
  | { readonly _tag: 'ShapeError'; readonly op: string; readonly message: string }
  | { readonly _tag: 'DTypeError'; readonly op: string; readonly message: string }
  | { readonly _tag: 'ParseError'; readonly column: number; readonly message: string }
  | { readonly _tag: 'UnknownName'; readonly name: string; readonly message: string }
  | { readonly _tag: 'InvalidGraph'; readonly path: string; readonly message: string }

/**
 * Builds a {@link GraphError} of the given tag; `message` is the whole
 * user-facing sentence.
 *
 * @category Errors
 */
export const graphError = <T extends GraphError['_tag']>(
  tag: T,
  fields: Omit<Extract<GraphError, { _tag: T }>, '_tag'>,
): GraphError => ({ _tag: tag, ...fields }) as unknown as GraphError

/**
 * The exception that carries a {@link GraphError} out of a builder recipe.
 * Builder methods throw it so that recipes read like plain code; `build`
 * catches it and returns the error as a `Left`. It never escapes the
 * package's public functions.
 *
 * @category Errors
 */
export class GraphFailure extends Error {
  /** The error to report. */
  readonly error: GraphError
  /** Wraps `error`. */
  constructor(error: GraphError) {
    super(error.message)
    this.error = error
  }
}

/**
 * Throws `error` as a {@link GraphFailure}: inside a `build` recipe, this
 * ends the build, and `build` returns `error` as its `Left`.
 *
 * @example
 * ```ts
 * build(graph, (b) => (ok ? b.input('x') : fail(graphError('UnknownName', { name: 'x', message: 'no x' }))))
 * ```
 * @category Errors
 */
export const fail = (error: GraphError): never => {
  throw new GraphFailure(error)
}
