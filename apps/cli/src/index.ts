/**
 * The `backprop` command as a library: its entry point and subcommands, so
 * that other apps (the dashboard) and tests can run it in-process.
 *
 * @packageDocumentation
 */
export { commands, run, usage } from './run.js'
export type { Command } from './commands/command.js'
