import { toDot } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { choiceOption, listOption, parseArgs } from '../args.js'
import { renderSvg } from '../svg.js'
import type { Command } from './command.js'
import { outputLabels, simplifiedDerivatives } from './diff.js'

/**
 * `backprop graph EXPR [--wrt x] --format dot|svg`: draws the expression's
 * graph with the derivative graph appended to it, forward nodes and
 * derivative nodes told apart (the lecture's "graph including computation
 * of the derivative").
 */
export const graphCommand: Command = async (argv, out) => {
  const parsed = pipe(
    parseArgs(argv, { wrt: 'string', format: 'string' }),
    E.chain(({ positional, options }) =>
      positional.length !== 1
        ? E.left(`graph takes one expression, got ${positional.length} arguments (quote the expression)`)
        : pipe(
            choiceOption('format', options['format'], ['dot', 'svg'] as const, 'dot'),
            E.chain((format) => {
              const wrt = listOption(options['wrt'])
              return pipe(
                simplifiedDerivatives(positional[0]!, wrt),
                E.mapLeft((e) => e.message),
                E.map(({ graph, value, gradients, forward }) => ({
                  format,
                  dot: toDot(graph, [value, ...gradients], {
                    isForward: (id) => forward.has(id),
                    labels: outputLabels(value, gradients, wrt),
                    title: positional[0]!,
                  }),
                })),
              )
            }),
          ),
    ),
  )
  if (E.isLeft(parsed)) return parsed
  const { format, dot } = parsed.right
  out(format === 'svg' ? await renderSvg(dot) : dot)
  return E.right(undefined)
}
