#!/usr/bin/env node
// The `backprop` command. It runs the bundle in dist/bundle, which the
// published package ships and a checkout builds on `npm ci` (the root
// `prepare` script); this launcher is committed so that npm can link the
// command at install time, before anything is built.
try {
  await import('../dist/bundle/main.js')
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/bundle/main.js')) throw e
  process.stderr.write("error: the backprop command is not built: run 'npm run build' (or 'npm ci') at the repository root\n")
  process.exitCode = 2
}
