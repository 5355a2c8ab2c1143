import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Packs every published package (those with a prepack step) and uses the
// tarballs as someone outside the repository would: a plain `npm install` of
// the tarballs into a new ESM project in the system's temp folder (no
// workspaces, no links), a strict TypeScript check of a consumer written
// against them, and runs: the README's library snippets, each package
// README's example, a training run of our own, and the cli installed with
// `npm install -g`.

// Run by `npm run test:packages` (CI runs it after `npm test`), never beside other
// tests: packing rewrites package.json files for a moment, which they read.
const repoRoot = join(import.meta.dirname, '..', '..', '..')
const work = mkdtempSync(join(tmpdir(), 'backprop-stranger-'))
const consumer = join(work, 'consumer')
const tarballs = join(work, 'tarballs')
const globalPrefix = join(work, 'global')
afterAll(() => rmSync(work, { recursive: true, force: true }))

/**
 * The environment of a shell outside the repository: no npm or Node settings of
 * the test run. onnxruntime-node's install script would download GPU libraries;
 * its package holds the CPU build already (the repository's .npmrc says the same).
 */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE_OPTIONS$|VITEST|TSX)/i.test(k))),
  npm_config_onnxruntime_node_install: 'skip',
}

/** Runs a command; a failure reports its output, not only its status. */
const sh = (cmd: string, args: readonly string[], cwd: string, extraPath?: string): string => {
  try {
    const path = extraPath === undefined ? env['PATH'] : `${extraPath}:${env['PATH']}`
    return execFileSync(cmd, args, { cwd, env: { ...env, PATH: path }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string }
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`)
  }
}

/** Folders of the workspace packages that are published: those npm builds on pack. */
const published = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces
  .map((glob) => glob.replace(/\/\*$/, ''))
  .flatMap((folder) => readdirSync(join(repoRoot, folder)).map((name) => join(repoRoot, folder, name)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts?.['prepack'])

/** The ```ts blocks of a markdown file. */
const snippets = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)

const sources: Record<string, string> = {
  ...Object.fromEntries(snippets(join(repoRoot, 'README.md')).map((code, i) => [`readme-${i + 1}.ts`, code])),
  ...Object.fromEntries(
    // A package README's first snippet is its runnable example; later ones may be fragments.
    published.flatMap((dir) => snippets(join(dir, 'README.md')).slice(0, 1).map((code) => [`${dir.split('/').pop()}-readme.ts`, code])),
  ),
}

interface PackedFile {
  readonly path: string
}
let packed: { readonly name: string; readonly filename: string; readonly files: readonly PackedFile[] }[] = []

beforeAll(() => {
  mkdirSync(tarballs, { recursive: true })
  // One at a time: each prepack builds its package and the ones it references.
  packed = published.map((dir) => (JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', tarballs], dir)) as (typeof packed)[number][])[0]!)

  mkdirSync(join(consumer, 'src'), { recursive: true })
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2))
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', types: ['node'], rootDir: 'src', outDir: 'out', noEmitOnError: true, skipLibCheck: false },
      include: ['src'],
    }),
  )
  for (const [name, code] of Object.entries(sources)) writeFileSync(join(consumer, 'src', name), code)
  copyFileSync(join(import.meta.dirname, '..', 'consumer', 'train.ts'), join(consumer, 'src', 'train.ts'))
  const typescript = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version
  sh('npm', ['install', '--no-audit', '--no-fund', ...packed.map((p) => join(tarballs, p.filename)), 'fp-ts', 'rxjs', '@types/node@20', `typescript@${typescript}`], consumer)
}, 900_000)

describe('the packed packages, installed outside the repository', () => {
  it('are every published package, each with built JavaScript, declarations, a README and the LICENSE, and no sources, tests or build configs', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(expect.arrayContaining(['@backprop/graph', '@backprop/diff', '@backprop/backend', '@backprop/backend-cpu', '@backprop/trainer', '@backprop/cli']))
    for (const p of packed) {
      const files = p.files.map((f) => f.path)
      expect(files, p.name).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']))
      expect(files.some((f) => /^dist\/.*\.js$/.test(f)), p.name).toBe(true)
      expect(files.some((f) => /^dist\/.*\.d\.ts$/.test(f)), p.name).toBe(true)
      expect(files.filter((f) => /(^src\/|\.test\.|\.spec\.|tsconfig|vitest|\.tsbuildinfo$|\.map$|(?<!\.d)\.ts$)/.test(f)), p.name).toEqual([])
    }
  })

  it('resolve for a consumer without the workspace export condition', () => {
    for (const p of packed) {
      const manifest = readFileSync(join(consumer, 'node_modules', ...p.name.split('/'), 'package.json'), 'utf8')
      expect(manifest, p.name).not.toContain('@backprop/source')
      expect(manifest, p.name).not.toContain('"*"')
    }
  })

  it('type-check a strict NodeNext consumer (the snippets and a training run)', () => {
    // The cli's README shows shell commands; every library's shows TypeScript.
    expect(Object.keys(sources).filter((name) => name.endsWith('-readme.ts'))).toHaveLength(published.length - 1)
    sh(process.execPath, [join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], consumer)
  }, 600_000)

  it.each(Object.keys(sources))('runs %s', (name) => {
    sh(process.execPath, [join('out', name.replace(/\.ts$/, '.js'))], consumer)
  }, 300_000)

  it('trains a network through the trainer on the cpu backend', () => {
    expect(sh(process.execPath, [join('out', 'train.js')], consumer)).toMatch(/^trained: loss .* test accuracy/)
  }, 300_000)

  it('gives a backprop command on the PATH when the cli is installed globally', () => {
    const cli = packed.find((p) => p.name === '@backprop/cli')!
    sh('npm', ['install', '--global', '--prefix', globalPrefix, '--no-audit', '--no-fund', join(tarballs, cli.filename)], work)
    expect(sh('backprop', ['diff', 'x*x', '--wrt', 'x'], work, join(globalPrefix, 'bin'))).toBe('d/dx = 2*x\n')
  }, 600_000)
})
