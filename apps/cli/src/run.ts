import * as E from 'fp-ts/lib/Either.js'
import type { Command } from './commands/command.js'
import { dashboardCommand } from './commands/dashboard.js'
import { diffCommand } from './commands/diff.js'
import { evalCommand } from './commands/eval.js'
import { graphCommand } from './commands/graph.js'
import { trainCommand } from './commands/train.js'

/** The subcommands of `backprop`, by name. */
export const commands: Readonly<Record<string, Command>> = {
  diff: diffCommand,
  eval: evalCommand,
  graph: graphCommand,
  train: trainCommand,
  dashboard: dashboardCommand,
}

/** The usage text `backprop` prints for `--help` or a missing command. */
export const usage = [
  'usage: backprop <command> [options]',
  '  diff EXPR --wrt x[,y] [--format text|latex|dot|json]   symbolic derivatives',
  '  eval EXPR --at x=0.5[,y=1] [--wrt x,y] [--order 2] --json   value, gradient, Hessian',
  '  graph EXPR [--wrt x] --format dot|svg                   draw the graph with its derivative',
  '  train [options] [--json]                                train a layered network',
  '  train --net FILE.json [options] [--json]                train a general feed-forward network',
  '  dashboard [--port P]                                    live training dashboard',
].join('\n')

/**
 * Runs `backprop` with `argv` (without the program name); resolves to the
 * exit status: 0 on success, 2 on bad input, which is reported as one
 * `error: ...` line on `err`.
 */
export const run = async (argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> => {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(usage)
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    err(`error: unknown command '${name}' (expected one of: ${Object.keys(commands).join(', ')})`)
    return 2
  }
  const result = await command(rest, out)
  if (E.isLeft(result)) {
    // Messages can quote user input (a file's bad JSON) that holds newlines: keep it one line.
    err(`error: ${result.left.replace(/\s*[\r\n]+\s*/g, ' ').trim()}`)
    return 2
  }
  return 0
}
