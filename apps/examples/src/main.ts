#!/usr/bin/env node
// Runs one example by name and prints its loss curve, figures and conclusion;
// without a name, lists the examples. From the repository root:
//   npx tsx --conditions=@backprop/source apps/examples/src/main.ts <name>
import { runExamples } from './cli.js'

process.exitCode = await runExamples(process.argv.slice(2), {
  write: (text) => process.stdout.write(text),
  error: (line) => process.stderr.write(`${line}\n`),
  isTTY: process.stdout.isTTY === true,
})
