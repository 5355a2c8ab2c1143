/**
 * The `backprop` command as a library: its entry point and subcommands, so
 * that other apps (the dashboard) and tests can run it in-process.
 *
 * @packageDocumentation
 */
export { run, usage } from './run.js'
export { commands, type CommandEntry } from './commands/table.js'
export type { Command } from './commands/command.js'
