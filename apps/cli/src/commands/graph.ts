import { ancestors, toDot } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { assignments, choiceOption, listOption, parseArgs } from '../args.js'
import { renderSvg } from '../svg.js'
import type { Command } from './command.js'
import { outputLabels, simplifiedDerivatives } from './diff.js'

/**
 * `backprop graph EXPR [--wrt x] [--at x=..,y=..] --format dot|svg`: draws
 * the expression's graph with the derivative graph appended to it, forward
 * nodes and derivative nodes told apart (the lecture's "graph including
 * computation of the derivative"). With `--at`, every node also shows its
 * value at that point, and every forward node its adjoint dE/dv.
 */
export const graphCommand: Command = async (argv, out) => {
  const parsed = pipe(
    parseArgs(argv, { wrt: 'string', format: 'string', at: 'string' }),
    E.flatMap(({ positional, options }) =>
      positional.length !== 1
        ? E.left(`graph takes one expression, got ${positional.length} arguments (quote the expression)`)
        : pipe(
            E.Do,
            E.bind('format', () => choiceOption('format', options['format'], ['dot', 'svg'] as const, 'dot')),
            E.bind('at', () => (options['at'] === undefined ? E.right(undefined) : assignments(options['at']))),
            E.bind('wrt', () => E.right(listOption(options['wrt']))),
            E.bind('derived', ({ wrt }) => pipe(simplifiedDerivatives(positional[0]!, wrt), E.mapLeft((e) => e.message))),
            E.map((r) => ({ ...r, text: positional[0]! })),
          ),
    ),
  )
  if (E.isLeft(parsed)) return parsed
  const { format, at, wrt, derived, text } = parsed.right
  const { graph, value, gradients, forward } = derived
  const outputs = [value, ...gradients]
  let notes: Map<number, string[]> | undefined
  if (at !== undefined) {
    // Loaded only here: a drawing without numbers needs no backend.
    const { annotationsAt } = await import('../expression-values.js')
    const annotated = annotationsAt(graph, value, ancestors(graph, outputs), at)
    if (E.isLeft(annotated)) return E.left(annotated.left.message)
    notes = annotated.right
  }
  const point = at === undefined ? '' : ` at ${Object.entries(at).map(([k, v]) => `${k} = ${v}`).join(', ')}`
  const dot = toDot(graph, outputs, {
    isForward: (id) => forward.has(id),
    labels: outputLabels(value, gradients, wrt),
    title: `${text}${point}`,
    ...(notes === undefined ? {} : { notes }),
  })
  out(format === 'svg' ? await renderSvg(dot) : dot)
  return E.right(undefined)
}
