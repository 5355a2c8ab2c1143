import * as E from 'fp-ts/lib/Either.js'

/** What kind of value an option takes; flags take none. */
export type OptionKind = 'string' | 'flag'

/** The options a command accepts, by name (without the leading dashes). */
export type OptionSpec = Readonly<Record<string, OptionKind>>

/** A command line split into positional arguments and options. */
export interface ParsedArgs {
  readonly positional: readonly string[]
  readonly options: Readonly<Record<string, string | true>>
}

/**
 * Splits `argv` into positionals and `--name value`, `--name=value` or
 * `--flag` options, rejecting options the command doesn't know, so a typo is
 * an error rather than silently ignored. A lone `-`-prefixed token that is a
 * number (or an expression starting with `-`) is a positional.
 */
export const parseArgs = (argv: readonly string[], spec: OptionSpec): E.Either<string, ParsedArgs> => {
  const positional: string[] = []
  const options: Record<string, string | true> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq < 0 ? undefined : eq)
    const kind = spec[name]
    if (kind === undefined) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(', ')
      return E.left(`unknown option --${name} (expected one of: ${known})`)
    }
    if (kind === 'flag') {
      if (eq >= 0) return E.left(`option --${name} takes no value`)
      options[name] = true
    } else if (eq >= 0) {
      options[name] = arg.slice(eq + 1)
    } else {
      const value = argv[i + 1]
      if (value === undefined) return E.left(`option --${name} needs a value`)
      options[name] = value
      i++
    }
  }
  return E.right({ positional, options })
}

/** Reads a comma-separated list option (`--wrt x,y`), empty when absent. */
export const listOption = (value: string | true | undefined): string[] =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : []

/** Reads `name=value` pairs (`--at x=0.5,y=-1.25`) into numbers. */
export const assignments = (value: string | true | undefined): E.Either<string, Record<string, number>> => {
  const out: Record<string, number> = {}
  for (const pair of listOption(value)) {
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq).trim()
    const text = pair.slice(eq + 1).trim()
    const v = Number(text)
    if (eq <= 0 || text === '' || Number.isNaN(v)) return E.left(`--at: '${pair}' is not of the form name=number`)
    out[name] = v
  }
  return E.right(out)
}

/** Reads a number option within bounds, with a default when absent. */
export const numberOption = (
  name: string,
  value: string | true | undefined,
  fallback: number,
  check: { integer?: boolean; min?: number } = {},
): E.Either<string, number> => {
  if (value === undefined) return E.right(fallback)
  const v = typeof value === 'string' ? Number(value) : Number.NaN
  if (!Number.isFinite(v) || (check.integer && !Number.isInteger(v)) || (check.min !== undefined && v < check.min)) {
    const what = check.integer ? 'an integer' : 'a number'
    return E.left(`--${name} must be ${what}${check.min !== undefined ? ` >= ${check.min}` : ''}, got '${value}'`)
  }
  return E.right(v)
}

/** Reads an option restricted to a few words, with a default. */
export const choiceOption = <T extends string>(
  name: string,
  value: string | true | undefined,
  choices: readonly T[],
  fallback: T,
): E.Either<string, T> => {
  if (value === undefined) return E.right(fallback)
  return typeof value === 'string' && (choices as readonly string[]).includes(value)
    ? E.right(value as T)
    : E.left(`--${name} must be one of ${choices.join('|')}, got '${value}'`)
}
