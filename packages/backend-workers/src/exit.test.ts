import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

describe('process exit', () => {
  it('lets a process that never disposes its executables exit by itself', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
    const script = fileURLToPath(new URL('./testing/exit-child.ts', import.meta.url))
    // The time limit only keeps a broken build from hanging the suite; the child takes about a second.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, '--conditions=@backprop/source', script], {
      timeout: 25_000,
    })
    // Shard 0 is computed in the calling thread; one worker thread computes shard 1.
    expect(JSON.parse(stdout)).toEqual({ shards: [2, 2], loss: 30, running: 1 })
  })
})
