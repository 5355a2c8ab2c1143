/**
 * Where a data problem was found. Every field is optional: a CSV error knows its
 * file, line and column, a NaN found in an in-memory data set knows the sample and
 * the column.
 *
 * @category Errors
 */
export interface DataLocation {
  /** The file name or data set name the problem is in. */
  readonly source?: string | undefined
  /** 1-based line number in a text file. */
  readonly line?: number | undefined
  /** 1-based column (field) number in a text file. */
  readonly column?: number | undefined
  /** 0-based sample (row) index in a data set. */
  readonly sample?: number | undefined
}

/**
 * Anything a user can get wrong about data: a malformed CSV file, a missing column,
 * an impossible train/test size, a NaN or an infinity in the numbers.
 *
 * `message` is one line that says what and where, ready to print, e.g.
 * `data.csv line 7, column 3 ("petal_width"): "abc" is not a number`.
 * The location is repeated as structured fields for programs that want it.
 *
 * @category Errors
 */
export interface DataError {
  /** Tells a data error from the other errors of the project. */
  readonly _tag: 'DataError'
  /** One line: what went wrong and where. */
  readonly message: string
  /** The file name or data set name the problem is in. */
  readonly source?: string
  /** 1-based line number in a text file. */
  readonly line?: number
  /** 1-based column (field) number in a text file. */
  readonly column?: number
  /** 0-based sample (row) index in a data set. */
  readonly sample?: number
}

/**
 * Builds a {@link DataError}. Location fields that are `undefined` are left out.
 *
 * @example
 * ```ts
 * dataError('iris: testFraction must be in [0, 1), got 2')
 * ```
 *
 * @category Errors
 */
export const dataError = (message: string, where: DataLocation = {}): DataError => {
  const error: { -readonly [K in keyof DataError]: DataError[K] } = { _tag: 'DataError', message }
  if (where.source !== undefined) error.source = where.source
  if (where.line !== undefined) error.line = where.line
  if (where.column !== undefined) error.column = where.column
  if (where.sample !== undefined) error.sample = where.sample
  return error
}

/**
 * True when `u` is a {@link DataError}.
 *
 * @category Errors
 */
export const isDataError = (u: unknown): u is DataError =>
  typeof u === 'object' &&
  u !== null &&
  (u as { _tag?: unknown })._tag === 'DataError' &&
  typeof (u as { message?: unknown }).message === 'string'
