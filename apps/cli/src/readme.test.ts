import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '@backprop/graph/testing/reference'
import { afterAll, describe, expect, it } from 'vitest'

// The README's TypeScript snippets are promised to run: run each as a module
// inside the repository, so that `@backprop/*` imports resolve as they would
// for a user of the workspace.
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
mkdirSync(join(repoRoot, 'tmp'), { recursive: true })
const dir = mkdtempSync(join(repoRoot, 'tmp', 'readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('README snippets', () => {
  it('has snippets', () => expect(snippets.length).toBeGreaterThanOrEqual(3))

  it.each(snippets.map((code, i) => [i + 1, code] as const))('snippet %i runs without error', (i, code) => {
    const file = join(dir, `snippet-${i}.ts`)
    writeFileSync(file, code)
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@backprop/source', file], {
      encoding: 'utf8',
      cwd: repoRoot,
      timeout: 120_000,
    })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout.length).toBeGreaterThan(0)
  })
})
