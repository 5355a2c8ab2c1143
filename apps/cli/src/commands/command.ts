import type * as E from 'fp-ts/lib/Either.js'

/**
 * A subcommand: reads its arguments, writes lines through `out`, and
 * resolves to `Left(message)` for anything the user got wrong, which the
 * entry point prints as one `error: message` line with exit status 2, or to
 * `Right`: exit status 0, unless it is an {@link Ended} with a status of
 * its own.
 */
export type Command = (argv: readonly string[], out: (line: string) => void) => Promise<E.Either<string, void | Ended>>

/** A command ended otherwise than by finishing: the exit status to report. */
export interface Ended {
  readonly _tag: 'Ended'
  readonly exitStatus: number
}

/** A run stopped by Ctrl-C: status 130, as a shell reports a process ended by SIGINT. */
export const interrupted: Ended = { _tag: 'Ended', exitStatus: 130 }

/** The exit status of a command's `Right` value: 0, or an {@link Ended}'s. */
export const exitStatusOf = (value: unknown): number =>
  typeof value === 'object' && value !== null && (value as Partial<Ended>)._tag === 'Ended' ? (value as Ended).exitStatus : 0
