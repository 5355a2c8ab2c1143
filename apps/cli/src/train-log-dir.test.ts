import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDashboard } from '@backprop/dashboard'
import { repoRoot } from '@backprop/graph/testing/reference'
import * as E from 'fp-ts/lib/Either.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { run } from './run.js'

const backprop = async (...argv: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const status = await run(argv, (l) => out.push(l), (l) => err.push(l))
  return { status, out, err }
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'backprop-log-dir-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const iris = ['train', '--dataset', 'iris', '--layers', '4,6,3', '--epochs', '2', '--batch', '16', '--json']

describe('backprop train --log-dir', () => {
  it('keeps each run as a folder whose events.jsonl holds exactly the lines --json prints', async () => {
    const r = await backprop(...iris, '--seed', '3', '--log-dir', dir)
    expect(r.status).toBe(0)
    const [id] = readdirSync(dir)
    expect(readFileSync(join(dir, id!, 'events.jsonl'), 'utf8')).toBe(r.out.map((l) => `${l}\n`).join(''))
    const record = JSON.parse(readFileSync(join(dir, id!, 'settings.json'), 'utf8'))
    expect(record).toMatchObject({ id, source: 'cli', settings: { dataset: 'iris', layers: [4, 6, 3], seed: 3, epochs: 2 } })
    // A classifier's epochs carry the test confusion matrix: 30 iris test samples, 10 of each species.
    const epoch = JSON.parse(r.out[0]!) as { confusion: number[][] }
    expect(epoch.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10])
  })

  it('keeps two runs that the dashboard lists at /runs, with their settings', async () => {
    expect((await backprop(...iris, '--seed', '1', '--log-dir', dir)).status).toBe(0)
    expect((await backprop(...iris, '--seed', '2', '--lr', '0.05', '--log-dir', dir)).status).toBe(0)
    const dashboard = await startDashboard({ port: 0, logDir: dir, startRun: () => E.left('not in this test') })
    try {
      const runs = (await (await fetch(`${dashboard.url}runs`)).json()) as { id: string; state: string; settings: { seed: number } }[]
      expect(runs.map((r) => [r.state, r.settings.seed]).sort()).toEqual([
        ['done', 1],
        ['done', 2],
      ])
      const events = await (await fetch(`${dashboard.url}runs/${runs[0]!.id}/events`)).text()
      expect(events.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['epoch', 'epoch', 'done'])
    } finally {
      await dashboard.close()
    }
  })

  it('Ctrl-C stops the run within a step: status 130, no done line, and the log keeps the run as stopped', async () => {
    const checkpoint = join(dir, 'model.json')
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@backprop/source', join(repoRoot, 'apps/cli/src/main.ts'), 'train', '--dataset', 'iris', '--layers', '4,6,3', '--epochs', '100000', '--batch', '4', '--json', '--log-dir', dir, '--checkpoint', checkpoint],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      // after the first epoch's line, as a person would press Ctrl-C
      if (out.includes('\n') && !child.killed) child.kill('SIGINT')
    })
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    expect(err).toBe('')
    expect(status).toBe(130)
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; epoch: number })
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.length).toBeLessThan(100000)
    expect(lines.every((e) => e.type === 'epoch')).toBe(true)
    const [id] = readdirSync(dir).filter((name) => name !== 'model.json')
    expect(readFileSync(join(dir, id!, 'events.jsonl'), 'utf8')).toBe(out)
    // the completed epochs wrote their checkpoint
    expect(JSON.parse(readFileSync(checkpoint, 'utf8'))).toHaveProperty('params')
    const dashboard = await startDashboard({ port: 0, logDir: dir, startRun: () => E.left('not in this test') })
    try {
      const runs = (await (await fetch(`${dashboard.url}runs`)).json()) as { id: string; state: string }[]
      expect(runs).toMatchObject([{ id, state: 'stopped' }])
    } finally {
      await dashboard.close()
    }
  })

  it('says in one line when the log directory cannot be made', async () => {
    writeFileSync(join(dir, 'file'), '')
    const r = await backprop(...iris, '--log-dir', join(dir, 'file'))
    expect(r.status).toBe(2)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(/^error: cannot keep the run in .*file: /)
  })
})
