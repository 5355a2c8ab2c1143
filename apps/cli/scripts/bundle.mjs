// Bundles the `backprop` command into apps/cli/dist/bundle: one small entry
// that loads each command's chunk only when that command runs, the workspace
// packages compiled in from their TypeScript sources (so a fresh checkout
// needs no other build: the root `prepare` script runs this after `npm ci`).
// fp-ts and rxjs are compiled in too: loading their hundreds of small
// files took most of a `backprop diff`. Every other package stays an import,
// since some find their own files at run time (mnist's data, uplot's page
// files); those must be dependencies of the cli, which this script checks.
//
// Two files are found beside the code at run time, so the bundle keeps the
// layout they expect: backend-workers starts `./worker.js` next to its own
// module (a second entry point here), and the dashboard serves `../public/`
// from its module (its page is copied to dist/public).
import { cpSync, readFileSync, rmSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const cli = join(dirname(fileURLToPath(import.meta.url)), '..')
const workspace = join(cli, '..', '..')
const outdir = join(cli, 'dist', 'bundle')

rmSync(outdir, { recursive: true, force: true })
const inlined = /^(@backprop\/|fp-ts(\/|$)|rxjs(\/|$))/
const result = await build({
  entryPoints: {
    main: join(cli, 'src', 'main.ts'),
    index: join(cli, 'src', 'index.ts'),
    worker: join(workspace, 'packages', 'backend-workers', 'src', 'runtime', 'worker.ts'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['@backprop/source'],
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  metafile: true,
  plugins: [
    {
      name: 'external-dependencies',
      setup: (b) => b.onResolve({ filter: /^[^./]/ }, (args) => (inlined.test(args.path) ? undefined : { external: true })),
    },
  ],
})
cpSync(join(workspace, 'apps', 'dashboard', 'public'), join(cli, 'dist', 'public'), { recursive: true })

// A package the bundle imports must be installed with the cli.
const { dependencies = {} } = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8'))
const packageOf = (path) => path.split('/').slice(0, path.startsWith('@') ? 2 : 1).join('/')
const missing = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => packageOf(i.path)))
  .filter((name, i, all) => all.indexOf(name) === i && !(name in dependencies))
if (missing.length > 0) {
  console.error(`error: the cli bundle imports ${missing.join(', ')}, missing from apps/cli/package.json dependencies`)
  process.exit(1)
}
