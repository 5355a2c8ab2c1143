import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

// In a fresh Node process, where no test has touched V8's flags: on Node 20
// relaxed SIMD is off until the backend turns it on, on later versions it is
// on already; either way the default backend's products must fuse.
const script = `
import { cpuBackend, statsOf } from '@backprop/backend-cpu'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
const { graph, result } = buildOrThrow(emptyGraph, (b) => b.matmul(b.input('a', [64, 64], 'f32'), b.input('b', [64, 64], 'f32')))
const compiled = cpuBackend().compile(graph, [result])
const stats = statsOf(compiled.right)
process.stdout.write(JSON.stringify({ target: stats.target, fma: stats.fma, products: stats.counts.matmul ?? 0 }))
`

describe('relaxed SIMD', () => {
  it('is turned on by the default backend, so its products fuse multiply and add', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@backprop/source', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual({ target: 'wasm', fma: true, products: 1 })
  })
})
