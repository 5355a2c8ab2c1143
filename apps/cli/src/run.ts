import * as E from 'fp-ts/lib/Either.js'
import { exitStatusOf } from './commands/command.js'
import { commands } from './commands/table.js'

/** The usage text `backprop` prints for `--help` or a missing command, one line per command. */
export const usage = [
  'usage: backprop <command> [options]',
  ...Object.entries(commands).map(([name, { usage }]) => `  ${name} ${usage}`),
].join('\n')

/**
 * Runs `backprop` with `argv` (without the program name); resolves to the
 * exit status: 0 on success, 2 on bad input, which is reported as one
 * `error: ...` line on `err`, 130 for a run stopped by Ctrl-C.
 */
export const run = async (argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> => {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(usage)
    return name === undefined ? 2 : 0
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (entry === undefined) {
    err(`error: unknown command '${name}' (expected one of: ${Object.keys(commands).join(', ')})`)
    return 2
  }
  const result = await (await entry.load())(rest, out)
  if (E.isLeft(result)) {
    // Messages can quote user input (a file's bad JSON) that holds newlines: keep it one line.
    err(`error: ${result.left.replace(/\s*[\r\n]+\s*/g, ' ').trim()}`)
    return 2
  }
  return exitStatusOf(result.right)
}
