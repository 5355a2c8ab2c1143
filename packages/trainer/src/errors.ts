/**
 * Everything a user can get wrong when training or handling parameters: a
 * checkpoint that cannot be read or written, parameters that do not fit the
 * model, options out of range. Each error carries a one-line `message` that
 * says what went wrong and where.
 *
 * @category Errors
 */
export type TrainError =
  | {
      /** A checkpoint file is missing, unreadable, malformed or could not be written. */
      readonly _tag: 'CheckpointError'
      /** The checkpoint's path. */
      readonly path: string
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** Parameters do not match the model's (a missing name, a wrong shape or dtype). */
      readonly _tag: 'ParamsError'
      /** The parameter's name. */
      readonly name: string
      /** One line: what and where. */
      readonly message: string
    }
  | {
      /** A training option is out of range, or the model does not fit the data. */
      readonly _tag: 'ConfigError'
      /** One line: what and where. */
      readonly message: string
    }

/**
 * A {@link TrainError} about the checkpoint at `path`; the message starts with the path.
 *
 * @category Errors
 */
export const checkpointError = (path: string, what: string): TrainError => ({
  _tag: 'CheckpointError',
  path,
  message: `${path}: ${what}`,
})

/**
 * A {@link TrainError} about parameter `name`.
 *
 * @category Errors
 */
export const paramsError = (name: string, message: string): TrainError => ({
  _tag: 'ParamsError',
  name,
  message,
})

/**
 * A {@link TrainError} about an option or the fit between model and data.
 *
 * @category Errors
 */
export const configError = (message: string): TrainError => ({ _tag: 'ConfigError', message })
