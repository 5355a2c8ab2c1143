import type * as E from 'fp-ts/lib/Either.js'

/**
 * A subcommand: reads its arguments, writes lines through `out`, and
 * resolves to `Left(message)` for anything the user got wrong, which the
 * entry point prints as one `error: message` line with exit status 2, or to
 * `Right`: exit status 0, or the status given (130 for a run stopped by
 * Ctrl-C, as a shell reports a process ended by SIGINT).
 */
export type Command = (argv: readonly string[], out: (line: string) => void) => Promise<E.Either<string, void | number>>
