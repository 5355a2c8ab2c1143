import { type DashboardOptions, type RunSettings, startDashboard } from '@backprop/dashboard'
import { ancestors, toDot } from '@backprop/graph'
import { networkGradients } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { defer } from 'rxjs'
import { numberOption, parseArgs } from '../args.js'
import { checkAgainstData, mnistImages } from '../dashboard-data.js'
import { renderSvg } from '../svg.js'
import { networkAt, networkOfOne } from '../network-at-sample.js'
import { prepareRun, type TrainSettings } from '../training.js'
import type { Command } from './command.js'

/**
 * The model's graph for a sample of one, with the derivative of its loss
 * with respect to every parameter appended, drawn as SVG: tensors are nodes,
 * so even a 784-128-10 network is a few dozen vertices.
 */
export const modelSvg = async (s: TrainSettings): Promise<E.Either<string, string>> => {
  const network = pipe(
    networkOfOne(s),
    E.flatMap((net) =>
      pipe(
        networkGradients(net),
        E.map((g) => ({ net, g })),
        E.mapLeft((e) => e.message),
      ),
    ),
  )
  if (E.isLeft(network)) return network
  const { net, g } = network.right
  const forward = new Set(ancestors(g.graph, [net.loss]))
  const labels = new Map<number, string>([[net.loss, 'E']])
  g.gradients.forEach(({ W, b }, l) => {
    labels.set(W, `∂E/∂W${l + 1}`)
    labels.set(b, `∂E/∂b${l + 1}`)
  })
  const dot = toDot(g.graph, [net.loss, ...g.gradients.flatMap(({ W, b }) => [W, b])], {
    isForward: (id) => forward.has(id),
    labels,
    rankdir: 'LR',
  })
  return E.right(await renderSvg(dot))
}

/** How the dashboard trains, draws and checks: the hooks it is started with, everything but where it listens and keeps runs. */
export const dashboardHooks = {
  // The data set loads when the stream is subscribed, not while the page waits;
  // the dashboard's stop aborts `signal`, which stops the run within a step.
  startRun: (settings: RunSettings, signal: AbortSignal) => pipe(prepareRun(settings, signal), E.map((run) => defer(() => run.events))),
  graphSvg: modelSvg,
  networkAt,
  validate: checkAgainstData,
  sampleImages: mnistImages,
} satisfies Omit<DashboardOptions, 'port' | 'logDir'>

/**
 * `backprop dashboard [--port P] [--log-dir DIR]`: serves the live training
 * dashboard on 127.0.0.1 until interrupted; runs started from the page are
 * the same runs `backprop train` makes, and are kept in DIR (default
 * `./runs`) with those `backprop train --log-dir DIR` writes there.
 */
export const dashboardCommand: Command = async (argv, out) => {
  const args = parseArgs(argv, { port: 'string', 'log-dir': 'string' })
  const port = pipe(
    args,
    E.flatMap(({ options }) => numberOption('port', options['port'], 8080, { integer: true, min: 0 })),
  )
  if (E.isLeft(port)) return port
  const logDir = E.isRight(args) && typeof args.right.options['log-dir'] === 'string' ? args.right.options['log-dir'] : 'runs'
  try {
    const dashboard = await startDashboard({
      port: port.right,
      logDir,
      ...dashboardHooks,
    })
    out(`dashboard on ${dashboard.url} (events at ${dashboard.url}events, runs kept in ${logDir}); Ctrl-C to stop`)
    await new Promise<void>((resolve) => process.once('SIGINT', () => void dashboard.close().then(resolve)))
    return E.right(undefined)
  } catch (e) {
    return E.left(e instanceof Error ? e.message : String(e))
  }
}
