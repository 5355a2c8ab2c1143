import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { doneEvent, epochEvent, errorEvent, stepEvent } from '../testing/events.js'
import { runLog } from './run-log.js'
import { isRunId, newRunId } from './run-record.js'
import { openRun } from './run-writer.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'run-log-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A finished run written as the trainer's events come. */
const finishedRun = (settings: Record<string, unknown>, at: string) => {
  const writer = openRun(dir, settings, 'cli', new Date(at))
  if (E.isLeft(writer)) throw new Error(writer.left)
  for (const event of [stepEvent(1, 1, 0.9), epochEvent(1, 5), epochEvent(2, 10), doneEvent(2, 10)]) writer.right.append(event)
  writer.right.close()
  return writer.right
}

describe('openRun', () => {
  it('keeps the settings and exactly the train --json lines of a run, one per line', () => {
    const writer = finishedRun({ dataset: 'iris', lr: 0.01 }, '2026-12-02T06:40:12Z')
    expect(writer.id).toMatch(/^20261202-064012-iris-[0-9a-f]{4}$/)
    const record = JSON.parse(readFileSync(join(dir, writer.id, 'settings.json'), 'utf8'))
    expect(record).toMatchObject({ id: writer.id, startedAt: '2026-12-02T06:40:12.000Z', source: 'cli', pid: process.pid })
    expect(record.settings).toEqual({ dataset: 'iris', lr: 0.01 })
    const lines = readFileSync(join(dir, writer.id, 'events.jsonl'), 'utf8').split('\n')
    // No step line (train --json prints none); params are not written; the file ends with a newline.
    expect(lines.map((l) => (l === '' ? '' : JSON.parse(l).type))).toEqual(['epoch', 'epoch', 'done', ''])
    expect(lines[0]).toBe(
      '{"type":"epoch","epoch":1,"steps":5,"trainLoss":0.5,"testLoss":0.75,"testAccuracy":0.5,"samplesPerSecond":1001,"checkpoint":null}',
    )
  })

  it('gives two runs started in the same second two folders', () => {
    const at = '2026-12-02T06:40:12Z'
    const ids = Array.from({ length: 20 }, () => finishedRun({ dataset: 'iris' }, at).id)
    expect(new Set(ids).size).toBe(20)
  })

  it('says in one line when the log directory cannot be made', () => {
    writeFileSync(join(dir, 'file'), 'x')
    const writer = openRun(join(dir, 'file', 'runs'), { dataset: 'iris' }, 'cli')
    expect(E.isLeft(writer) && writer.left).toMatch(/^cannot keep the run in .*file\/runs: /)
  })
})

describe('run ids', () => {
  it('are safe folder names made of the time and the data set', () => {
    expect(newRunId('data/house prices.csv', new Date('2026-12-02T06:40:12Z'))).toMatch(/^20261202-064012-house-prices-[0-9a-f]{4}$/)
    expect(isRunId(newRunId('../../etc/passwd'))).toBe(true)
    expect(newRunId('../../etc/passwd')).not.toContain('..')
  })

  it.each(['..', '.hidden', 'a/b', 'a\\b', '%2e%2e', '', 'a b'])('refuses %j', (id) => expect(isRunId(id)).toBe(false))
})

describe('runLog', () => {
  it('lists the runs newest first, with their settings, state and last figures', async () => {
    const older = finishedRun({ dataset: 'iris', lr: 0.01 }, '2026-12-02T06:00:00Z')
    const newer = finishedRun({ dataset: 'mnist', lr: 0.1 }, '2026-12-02T07:00:00Z')
    const runs = await runLog(dir).list()
    expect(runs.map((r) => r.id)).toEqual([newer.id, older.id])
    expect(runs[0]).toMatchObject({ state: 'done', settings: { dataset: 'mnist', lr: 0.1 }, source: 'cli', epochs: 2, problems: [] })
    expect(runs[0]!.last).toEqual({ epoch: 2, steps: 10, trainLoss: 1 / 3, testLoss: 0.5, testAccuracy: 2 / 3, samplesPerSecond: 1002 })
  })

  it('lists nothing for a directory that does not exist yet', async () => {
    expect(await runLog(join(dir, 'nothing')).list()).toEqual([])
  })

  it('tells running, failed and stopped runs apart', async () => {
    const running = openRun(dir, { dataset: 'iris' }, 'dashboard')
    const failed = openRun(dir, { dataset: 'iris' }, 'dashboard')
    const stopped = openRun(dir, { dataset: 'iris' }, 'dashboard')
    if (E.isLeft(running) || E.isLeft(failed) || E.isLeft(stopped)) throw new Error('cannot open runs')
    running.right.append(epochEvent(1, 5))
    failed.right.append(errorEvent('loss is NaN at step 3'))
    stopped.right.append(epochEvent(1, 5))
    const log = runLog(dir, (id) => id === running.right.id)
    const byId = new Map((await log.list()).map((r) => [r.id, r]))
    expect(byId.get(running.right.id)?.state).toBe('running')
    expect(byId.get(failed.right.id)).toMatchObject({ state: 'failed', message: 'loss is NaN at step 3' })
    expect(byId.get(stopped.right.id)?.state).toBe('stopped')
    // A run written by another process that has ended (no such pid) is not running either.
    const record = JSON.parse(readFileSync(join(dir, running.right.id, 'settings.json'), 'utf8'))
    writeFileSync(join(dir, running.right.id, 'settings.json'), JSON.stringify({ ...record, pid: 2 ** 22 + 12345 }))
    expect((await log.list()).find((r) => r.id === running.right.id)?.state).toBe('stopped')
    for (const w of [running, failed, stopped]) w.right.close()
  })

  it('lists a run with a corrupt settings.json or a torn events.jsonl as damaged, and keeps serving the others', async () => {
    const good = finishedRun({ dataset: 'iris' }, '2026-12-02T06:00:00Z')
    const corrupt = finishedRun({ dataset: 'iris' }, '2026-12-02T06:01:00Z')
    const torn = finishedRun({ dataset: 'iris' }, '2026-12-02T06:02:00Z')
    writeFileSync(join(dir, corrupt.id, 'settings.json'), '{"id": "')
    appendFileSync(join(dir, torn.id, 'events.jsonl'), '{"type":"epoch","epo')
    mkdirSync(join(dir, 'empty-folder'))
    const log = runLog(dir)
    const byId = new Map((await log.list()).map((r) => [r.id, r]))
    expect(byId.get(good.id)?.state).toBe('done')
    expect(byId.get(corrupt.id)).toMatchObject({ state: 'damaged', settings: null, epochs: 2 })
    expect(byId.get(corrupt.id)?.problems[0]).toMatch(/^settings.json is not JSON/)
    expect(byId.get(torn.id)).toMatchObject({ state: 'damaged', problems: ['events.jsonl ends with a torn line (left out)'] })
    expect(byId.get('empty-folder')).toMatchObject({ state: 'damaged', problems: ['settings.json is missing', 'events.jsonl is missing'] })
    // The torn run's events are served without the torn line.
    const events = await log.events(torn.id)
    expect(E.isRight(events) && events.right.split('\n').map((l) => (l === '' ? '' : JSON.parse(l).type))).toEqual([
      'epoch',
      'epoch',
      'done',
      '',
    ])
  })

  it('lists what the files say now: a run read before is read again once its files change', async () => {
    const writer = openRun(dir, { dataset: 'iris', lr: 0.1 }, 'cli')
    if (E.isLeft(writer)) throw new Error(writer.left)
    // This process writes it: running until its done event.
    const log = runLog(dir, () => true)
    writer.right.append(epochEvent(1, 5))
    expect((await log.list())[0]).toMatchObject({ epochs: 1, state: 'running', last: { epoch: 1 } })
    expect((await log.list())[0]).toMatchObject({ epochs: 1 })
    writer.right.append(epochEvent(2, 10))
    writer.right.append(doneEvent(2, 10))
    writer.right.close()
    expect((await log.list())[0]).toMatchObject({ epochs: 2, state: 'done', last: { epoch: 2, steps: 10 } })
    // settings.json replaced by one of the same length: still noticed.
    const settingsPath = join(dir, writer.right.id, 'settings.json')
    const text = readFileSync(settingsPath, 'utf8')
    writeFileSync(`${settingsPath}.new`, text.replace('"lr": 0.1', '"lr": 0.2'))
    renameSync(`${settingsPath}.new`, settingsPath)
    expect((await log.list())[0]?.settings).toMatchObject({ lr: 0.2 })
    // A torn line appended to a finished run makes it damaged.
    appendFileSync(join(dir, writer.right.id, 'events.jsonl'), '{"type":"ep')
    expect((await log.list())[0]).toMatchObject({ state: 'damaged' })
  })

  it('serves a run events file and refuses ids that are not run folders', async () => {
    const run = finishedRun({ dataset: 'iris' }, '2026-12-02T06:00:00Z')
    const log = runLog(dir)
    expect(await log.events(run.id)).toEqual(E.right(readFileSync(join(dir, run.id, 'events.jsonl'), 'utf8')))
    expect(await log.events('..')).toEqual(E.left({ _tag: 'BadId', message: "'..' is not a run id" }))
    expect(await log.events('no-such-run')).toEqual(E.left({ _tag: 'NotFound', message: "there is no run 'no-such-run'" }))
  })

  it('removes a run folder, but not a running run, a link, or anything outside the directory', async () => {
    const run = finishedRun({ dataset: 'iris' }, '2026-12-02T06:00:00Z')
    const live = openRun(dir, { dataset: 'iris' }, 'dashboard')
    if (E.isLeft(live)) throw new Error(live.left)
    const outside = mkdtempSync(join(tmpdir(), 'outside-'))
    writeFileSync(join(outside, 'keep.txt'), 'x')
    symlinkSync(outside, join(dir, 'linked'))
    const log = runLog(dir, (id) => id === live.right.id)
    expect(await log.remove(run.id)).toEqual(E.right(undefined))
    expect(existsSync(join(dir, run.id))).toBe(false)
    expect(E.isLeft(await log.remove(live.right.id)) && existsSync(join(dir, live.right.id))).toBe(true)
    expect(await log.remove('linked')).toEqual(E.left({ _tag: 'NotFound', message: "there is no run 'linked'" }))
    expect(await log.remove('..')).toMatchObject(E.left({ _tag: 'BadId' }))
    expect(existsSync(join(outside, 'keep.txt'))).toBe(true)
    live.right.close()
    rmSync(outside, { recursive: true, force: true })
  })
})
