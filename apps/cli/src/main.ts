#!/usr/bin/env node
import { run } from './run.js'

// One line on stderr and status 2 for anything the user got wrong (run
// returns it); a stack trace only for a genuine bug, which run rethrows.
process.exitCode = await run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), (line) =>
  process.stderr.write(`${line}\n`),
)
