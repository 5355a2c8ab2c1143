#!/usr/bin/env node
// npm's `prepack` and `postpack` steps of every published package, run by npm in
// the package's folder (`node ../../tools/scripts/pack.mjs prepack`).
//
// prepack builds the package (tsc; a package with scripts/bundle.mjs, the cli,
// runs that too), removes built files whose source is gone, copies the repository's LICENSE
// in, and rewrites package.json for consumers, keeping the original as
// package.json.orig:
//   - export conditions that point into src/ (the workspace's `@backprop/source`,
//     which resolves packages to TypeScript in the repository) are dropped, and so
//     is any export left without a target (test helpers);
//   - `@backprop/*` dependencies become the exact version of that package, and
//     those the built code never imports (the cli compiles them in) are dropped;
//   - the `nx` settings and the pack scripts go.
// postpack puts package.json back and removes the copied LICENSE.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')
const dir = process.cwd()
const step = process.argv[2]
const manifest = join(dir, 'package.json')
const original = join(dir, 'package.json.orig')
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))

/** Every .js file under a folder. */
const jsFiles = (folder) =>
  readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name))

/** The workspace packages' versions, by name. */
const workspaceVersions = () => {
  const versions = new Map()
  for (const folder of readJson(join(root, 'package.json')).workspaces.map((w) => w.replace(/\/\*$/, ''))) {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const file = join(root, folder, entry.name, 'package.json')
      if (entry.isDirectory() && existsSync(file)) {
        const { name, version } = readJson(file)
        versions.set(name, version)
      }
    }
  }
  return versions
}

/** An exports map without conditions that point into src/; undefined when nothing is left. */
const consumerExports = (value) => {
  if (typeof value === 'string') return value.startsWith('./src/') ? undefined : value
  const kept = Object.entries(value)
    .map(([key, target]) => [key, consumerExports(target)])
    .filter(([, target]) => target !== undefined)
  return kept.length === 0 ? undefined : Object.fromEntries(kept)
}

const prepack = () => {
  // A pack that failed between the two steps left the original aside: start from it.
  if (existsSync(original)) renameSync(original, manifest)
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--build', 'tsconfig.lib.json'], { cwd: dir, stdio: 'inherit' })
  if (existsSync(join(dir, 'scripts', 'bundle.mjs'))) execFileSync(process.execPath, [join(dir, 'scripts', 'bundle.mjs')], { cwd: dir, stdio: 'inherit' })
  // dist/ is built in place, not emptied first: type checks of other packages read it meanwhile.
  for (const file of readdirSync(join(dir, 'dist'), { recursive: true })) {
    const source = file.match(/^(?!bundle\/)(.*?)(\.d)?\.js$|^(?!bundle\/)(.*?)\.d\.ts$/)
    const stem = source?.[1] ?? source?.[3]
    if (stem !== undefined && !existsSync(join(dir, 'src', `${stem}.ts`))) rmSync(join(dir, 'dist', file))
  }
  copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'))

  const pkg = readJson(manifest)
  const code = jsFiles(join(dir, 'dist')).map((file) => readFileSync(file, 'utf8'))
  const imported = (name) => code.some((text) => text.includes(`"${name}"`) || text.includes(`'${name}'`) || text.includes(`'${name}/`) || text.includes(`"${name}/`))
  const versions = workspaceVersions()
  const dependencies = Object.fromEntries(
    Object.entries(pkg.dependencies ?? {}).flatMap(([name, range]) =>
      !versions.has(name) ? [[name, range]] : imported(name) ? [[name, versions.get(name)]] : [],
    ),
  )
  const { nx: _nx, scripts: _scripts, devDependencies: _dev, ...rest } = pkg
  renameSync(manifest, original)
  writeFileSync(manifest, `${JSON.stringify({ ...rest, exports: consumerExports(pkg.exports), dependencies }, null, 2)}\n`)
}

const postpack = () => {
  if (existsSync(original)) renameSync(original, manifest)
  rmSync(join(dir, 'LICENSE'), { force: true })
}

if (step === 'prepack') prepack()
else if (step === 'postpack') postpack()
else throw new Error(`usage: pack.mjs prepack|postpack (got ${step})`)
