import type { Command } from './command.js'

/**
 * A subcommand as the entry point knows it before loading it: its usage line
 * and a loader. Each command is imported only when it runs, so `backprop diff`
 * loads the graph and derivative code and never the trainer, the data sets
 * or the dashboard (start-up time is most of a `diff` call).
 */
export interface CommandEntry {
  /** The command's line of `backprop --help`, after its name. */
  readonly usage: string
  /** Imports the command's module and returns the command. */
  readonly load: () => Promise<Command>
}

/**
 * The subcommands of `backprop`, by name, in the order `--help` lists them.
 * A new command is one entry here and one module under `commands/`.
 */
export const commands: Readonly<Record<string, CommandEntry>> = {
  diff: {
    usage: 'EXPR --wrt x[,y] [--format text|latex|dot|json]   symbolic derivatives',
    load: async () => (await import('./diff.js')).diffCommand,
  },
  eval: {
    usage: 'EXPR --at x=0.5[,y=1] [--wrt x,y] [--order 2] --json   value, gradient, Hessian',
    load: async () => (await import('./eval.js')).evalCommand,
  },
  graph: {
    usage: 'EXPR [--wrt x] [--at x=0.5] --format dot|svg       draw the graph with its derivative (and its numbers at a point)',
    load: async () => (await import('./graph.js')).graphCommand,
  },
  train: {
    usage: '[options] [--net FILE.json] [--json] [--log-dir DIR]   train a layered network (or the general one of --net)',
    load: async () => (await import('./train.js')).trainCommand,
  },
  predict: {
    usage: '--model FILE --input rows.csv [--json]      apply a trained model to the rows of a CSV file',
    load: async () => (await import('./predict.js')).predictCommand,
  },
  export: {
    usage: '--model FILE --format onnx --out model.onnx  write a trained model as ONNX',
    load: async () => (await import('./export.js')).exportCommand,
  },
  dashboard: {
    usage: '[--port P] [--log-dir DIR]                    live training dashboard, runs kept in DIR (./runs)',
    load: async () => (await import('./dashboard.js')).dashboardCommand,
  },
}
