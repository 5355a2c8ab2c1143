import * as E from 'fp-ts/lib/Either.js'
import type { ExampleError } from './errors.js'
import { linearRegression } from './linear-regression.js'
import { liveCurve, type Terminal } from './live.js'
import { logsigNeuron } from './logsig-neuron.js'
import { mnistCurve } from './mnist-curve.js'
import { generalNetwork } from './general-network.js'
import {
  reportGeneralNetwork,
  reportLinearRegression,
  reportLogsigNeuron,
  reportMnist,
  reportVanishingGradients,
  reportXor,
} from './report.js'
import { vanishingGradients } from './vanishing-gradients.js'
import { xor } from './xor.js'
import { reportDeltas, reportNewton, reportSkipL2 } from './research-report.js'
import { skipConnectionL2 } from './skip-l2.js'
import { newtonRosenbrock } from './newton.js'

/**
 * One runnable example: its name on the command line, a one-line summary,
 * and how to run it and turn its result into the printed report.
 *
 * @category Command line
 */
export interface ExampleEntry {
  /** The name to run it by, e.g. `xor`. */
  readonly name: string
  /** What it shows, in one line. */
  readonly summary: string
  /** Runs the example (printing live progress to `term` if it has any) and returns its report. */
  readonly run: (term: Terminal) => Promise<E.Either<ExampleError, readonly string[]>>
}

/**
 * Every example, in the order of the lecture.
 *
 * @category Command line
 */
export const examples: readonly ExampleEntry[] = [
  {
    name: 'linear-regression',
    summary: 'one linear neuron by batch GD and by stochastic GD, against the least-squares solution',
    run: async () => E.map(reportLinearRegression)(await linearRegression()),
  },
  {
    name: 'logsig-neuron',
    summary: "one logsig neuron on separable 2-D data; symbolic gradient vs the lecture's formula",
    run: async () => E.map(reportLogsigNeuron)(await logsigNeuron()),
  },
  {
    name: 'xor',
    summary: 'XOR with a 2-2-1 logsig network',
    run: async () => E.map(reportXor)(await xor()),
  },
  {
    name: 'mnist-curve',
    summary: 'a 784-64-10 network on 2,000 MNIST digits, its loss curve streamed live',
    run: async (term) => {
      const live = liveCurve(term)
      const result = await mnistCurve({}, live.onStep)
      live.finish()
      return E.map(reportMnist)(result)
    },
  },
  {
    name: 'newton',
    summary: "Newton's method on Rosenbrock's function with the symbolic Hessian",
    run: async () => E.right(reportNewton(newtonRosenbrock())),
  },
  {
    name: 'skip-l2',
    summary: 'a tanh network with a skip connection and an L2 penalty, its MSE part as a metric',
    run: async () => E.right(reportSkipL2(await skipConnectionL2())),
  },
  {
    name: 'deltas',
    summary: 'the deltas of a 3-5-4-2 network from the gradient graph, against y - t and the delta rule',
    run: async () => E.right(reportDeltas()),
  },
  {
    name: 'general-network',
    summary: "a general feed-forward network with skip connections from a spec file; its deltas against the general delta rule",
    run: async () => E.map(reportGeneralNetwork)(await generalNetwork()),
  },
  {
    name: 'vanishing-gradients',
    summary: 'the same deep network with logsig and with relu: per-layer delta RMS side by side',
    run: async () => E.map(reportVanishingGradients)(await vanishingGradients()),
  },
]

const USAGE = 'usage: examples <name>'

/**
 * The examples' command line: with one argument, runs the example of that
 * name and prints its report; with none, lists the examples. Returns the
 * exit status: 0 on success, 2 for an unknown name or a failed example (one
 * `error: ...` line).
 *
 * @example
 * ```ts
 * process.exitCode = await runExamples(process.argv.slice(2), terminal)
 * ```
 * @category Command line
 */
export const runExamples = async (args: readonly string[], term: Terminal): Promise<number> => {
  const names = examples.map((e) => e.name)
  if (args.length === 0) {
    const width = Math.max(...names.map((n) => n.length))
    term.write(`${USAGE}\n\nexamples:\n`)
    for (const e of examples) term.write(`  ${e.name.padEnd(width)}  ${e.summary}\n`)
    return 0
  }
  if (args.length > 1) {
    term.error(`error: expected one example name, got ${args.length} arguments (${USAGE})`)
    return 2
  }
  const entry = examples.find((e) => e.name === args[0])
  if (entry === undefined) {
    term.error(`error: unknown example '${args[0]}'; expected one of ${names.join(', ')}`)
    return 2
  }
  const report = await entry.run(term)
  if (E.isLeft(report)) {
    term.error(`error: ${report.left.message}`)
    return 2
  }
  term.write(report.right.map((l) => `${l}\n`).join(''))
  return 0
}
