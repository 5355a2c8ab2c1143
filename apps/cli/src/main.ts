#!/usr/bin/env node
import { run } from './run.js'

// A reader that goes away (`backprop train --json | head -1`) ends the command
// quietly, as it ends `cat`: there is no one left to print for.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(0)
})

// One line on stderr and status 2 for anything the user got wrong (run
// returns it); a stack trace only for a genuine bug, which run rethrows.
process.exitCode = await run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), (line) =>
  process.stderr.write(`${line}\n`),
)
