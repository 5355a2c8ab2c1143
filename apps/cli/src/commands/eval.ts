import { jsonLine } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { assignments, choiceOption, listOption, parseArgs } from '../args.js'
import { differentiate } from '../expression.js'
import { evaluateAt } from '../expression-values.js'
import type { Command } from './command.js'

/**
 * `backprop eval EXPR --at x=0.5,y=-1.25 [--wrt x,y] [--order 2] --json`:
 * the value, gradient and Hessian of an expression at a point, computed in
 * float64 from the symbolic derivative graphs.
 */
export const evalCommand: Command = async (argv, out) =>
  pipe(
    parseArgs(argv, { at: 'string', wrt: 'string', order: 'string', json: 'flag' }),
    E.flatMap(({ positional, options }) =>
      positional.length !== 1
        ? E.left(`eval takes one expression, got ${positional.length} arguments (quote the expression)`)
        : pipe(
            E.Do,
            E.bind('at', () => assignments(options['at'])),
            E.bind('order', () => choiceOption('order', options['order'], ['1', '2'], '1')),
            E.bind('derivatives', ({ order }) =>
              pipe(
                differentiate(positional[0]!, listOption(options['wrt']), order === '2' ? 2 : 1),
                E.mapLeft((e) => e.message),
              ),
            ),
            E.flatMap(({ at, derivatives }) => pipe(evaluateAt(derivatives, at), E.mapLeft((e) => e.message))),
            E.map((result) => {
              out(
                options['json']
                  ? jsonLine(result)
                  : [`value = ${result.value}`, ...Object.entries(result.gradient ?? {}).map(([v, g]) => `d/d${v} = ${g}`)].join('\n'),
              )
            }),
          ),
    ),
  )
