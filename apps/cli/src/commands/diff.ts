import { ancestors, type Graph, type NodeId, simplify, toDot, toJson, toLatex, toText } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { choiceOption, listOption, parseArgs } from '../args.js'
import { differentiate } from '../expression.js'
import type { Command } from './command.js'

/** The formats `diff` prints in. */
export const diffFormats = ['text', 'latex', 'dot', 'json'] as const

/**
 * The simplified derivative graph of an expression: the expression E and
 * dE/dv for each v in `wrt`, pruned to what they need. Forward nodes are
 * those E depends on; the rest were appended to compute the derivatives.
 */
export const simplifiedDerivatives = (text: string, wrt: readonly string[]) =>
  pipe(
    differentiate(text, wrt, 1, { simplifyFirst: true }),
    E.map((d) => {
      const { graph, outputs } = simplify(d.graph, [d.value, ...d.gradient])
      const [value, ...gradients] = outputs as [NodeId, ...NodeId[]]
      return { graph, value, gradients, forward: new Set(ancestors(graph, [value])) }
    }),
  )

/** Labels `E` and `∂E/∂v` for drawing, by node id (a shared node keeps the first). */
export const outputLabels = (value: NodeId, gradients: readonly NodeId[], wrt: readonly string[]): Map<NodeId, string> => {
  const labels = new Map<NodeId, string>()
  ;[[value, 'E'] as const, ...gradients.map((g, i) => [g, `∂E/∂${wrt[i]}`] as const)].forEach(([id, label]) => {
    if (!labels.has(id)) labels.set(id, label)
  })
  return labels
}

const render = (format: (typeof diffFormats)[number], graph: Graph, gradients: readonly NodeId[], wrt: readonly string[]) => {
  switch (format) {
    case 'text':
      return wrt.map((v, i) => `d/d${v} = ${toText(graph, gradients[i]!)}`).join('\n')
    case 'latex':
      return wrt.map((v, i) => `\\frac{\\partial}{\\partial ${v}} = ${toLatex(graph, gradients[i]!)}`).join('\n')
    case 'json': {
      const pruned = simplify(graph, gradients)
      return JSON.stringify({ wrt, ...toJson(pruned.graph, pruned.outputs) })
    }
    case 'dot':
      return toDot(graph, gradients, { labels: outputLabels(-1, gradients, wrt) })
  }
}

/**
 * `backprop diff EXPR --wrt x[,y...] [--format text|latex|dot|json]`: the
 * simplified symbolic derivative with respect to each variable.
 */
export const diffCommand: Command = async (argv, out) =>
  pipe(
    parseArgs(argv, { wrt: 'string', format: 'string' }),
    E.flatMap(({ positional, options }) => {
      const wrt = listOption(options['wrt'])
      if (positional.length !== 1) return E.left(`diff takes one expression, got ${positional.length} arguments (quote the expression)`)
      if (wrt.length === 0) return E.left('diff needs --wrt with at least one variable, e.g. --wrt x,y')
      return pipe(
        choiceOption('format', options['format'], diffFormats, 'text'),
        E.flatMap((format) =>
          pipe(
            simplifiedDerivatives(positional[0]!, wrt),
            E.mapLeft((e) => e.message),
            E.map(({ graph, gradients }) => out(render(format, graph, gradients, wrt))),
          ),
        ),
      )
    }),
  )
