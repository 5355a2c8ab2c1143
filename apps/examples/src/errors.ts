/**
 * What can go wrong when running an example: options out of range, a data
 * set that cannot be loaded, or a training run that failed (the trainer's
 * error event). The message is one line, ready to print.
 *
 * @category Errors
 */
export interface ExampleError {
  /** The tag of this error type. */
  readonly _tag: 'ExampleError'
  /** Which example failed, e.g. `xor`. */
  readonly example: string
  /** One line: what went wrong and where. */
  readonly message: string
}

/**
 * An {@link ExampleError} of `example`; the message is prefixed with the
 * example's name.
 *
 * @category Errors
 */
export const exampleError = (example: string, what: string): ExampleError => ({
  _tag: 'ExampleError',
  example,
  message: `${example}: ${what}`,
})
