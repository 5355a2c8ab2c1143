import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { run } from './run.js'

const backprop = async (...argv: string[]) => {
  const out: string[] = []
  const err: string[] = []
  const status = await run(argv, (l) => out.push(l), (l) => err.push(l))
  return { status, out, err }
}

describe('backprop train', () => {
  it('prints one JSON line per epoch and a last done line with the same figures', async () => {
    const r = await backprop(
      'train', '--dataset', 'iris', '--layers', '4,8,3', '--hidden', 'tanh', '--loss', 'softmax-cross-entropy',
      '--optimizer', 'adam', '--lr', '0.05', '--batch', '16', '--epochs', '3', '--seed', '2', '--dtype', 'f64', '--json',
    )
    expect(r.err).toEqual([])
    expect(r.status).toBe(0)
    const events = r.out.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(events.map((e) => e['type'])).toEqual(['epoch', 'epoch', 'epoch', 'done'])
    expect(events.slice(0, 3).map((e) => e['epoch'])).toEqual([1, 2, 3])
    for (const e of events) {
      for (const key of ['trainLoss', 'testLoss', 'testAccuracy', 'samplesPerSecond']) expect(typeof e[key]).toBe('number')
    }
    const [last, done] = events.slice(-2) as [Record<string, unknown>, Record<string, unknown>]
    for (const key of ['trainLoss', 'testLoss', 'testAccuracy']) expect(done[key]).toBe(last[key])
  })

  it('--layer-stats adds each layer\'s delta RMS, gradient norm and weight norm to every epoch event', async () => {
    const args = ['train', '--dataset', 'iris', '--layers', '4,8,6,3', '--epochs', '2', '--seed', '5', '--json']
    const withStats = (await backprop(...args, '--layer-stats')).out.map((l) => JSON.parse(l) as Record<string, unknown>)
    const plain = (await backprop(...args)).out.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(withStats.map((e) => e['trainLoss'])).toEqual(plain.map((e) => e['trainLoss']))
    expect(plain.every((e) => !('layers' in e))).toBe(true)
    for (const e of withStats.filter((e) => e['type'] === 'epoch')) {
      const layers = e['layers'] as { layer: number; deltaRms: number; gradNorm: number; weightNorm: number }[]
      expect(layers.map((l) => l.layer)).toEqual([1, 2, 3])
      for (const l of layers) for (const v of [l.deltaRms, l.gradNorm, l.weightNorm]) expect(v).toBeGreaterThan(0)
    }
  })

  it('prints the same losses for the same seed', async () => {
    const args = ['train', '--dataset', 'iris', '--layers', '4,5,3', '--epochs', '2', '--batch', '8', '--seed', '7', '--json']
    const losses = async () =>
      (await backprop(...args)).out.map((l) => JSON.parse(l) as { trainLoss: number; testLoss: number }).map((e) => [e.trainLoss, e.testLoss])
    const first = await losses()
    expect(first.length).toBe(3)
    expect(await losses()).toEqual(first)
  })

  it('--backend workers:2 agrees with cpu to 1e-12 in f64 with sum reduction', async () => {
    const args = ['train', '--dataset', 'iris', '--layers', '4,8,3', '--epochs', '2', '--seed', '3', '--dtype', 'f64', '--reduction', 'sum', '--json']
    const losses = async (backend: string) =>
      (await backprop(...args, '--backend', backend)).out.map((l) => JSON.parse(l) as { trainLoss: number }).map((e) => e.trainLoss)
    const [cpu, workers] = [await losses('cpu'), await losses('workers:2')]
    expect(workers.length).toBe(cpu.length)
    workers.forEach((w, i) => expect(Math.abs(w - cpu[i]!)).toBeLessThanOrEqual(1e-12 * Math.abs(cpu[i]!)))
  })

  it('learns a CSV regression data set with sse and sum reduction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-train-'))
    const rows = Array.from({ length: 60 }, (_, i) => {
      const [a, b] = [Math.sin(i), Math.cos(3 * i)]
      return `${a},${b},${2 * a - b + 0.5}`
    })
    writeFileSync(join(dir, 'data.csv'), ['a,b,y', ...rows].join('\n'))
    const r = await backprop(
      'train', '--dataset', join(dir, 'data.csv'), '--layers', '2,1', '--loss', 'sse', '--optimizer', 'gd',
      '--lr', '0.01', '--epochs', '200', '--reduction', 'sum', '--json',
    )
    expect(r.status).toBe(0)
    const events = r.out.map((l) => JSON.parse(l) as { type: string; trainLoss: number; testAccuracy: number | null })
    expect(events[0]!.trainLoss).toBeGreaterThan(100 * events.at(-1)!.trainLoss)
    expect(events.at(-1)!.testAccuracy).toBeNull() // regression: no accuracy
  })

  it.each([
    [['--dataset', 'nosuch'], "error: unknown dataset 'nosuch' (expected mnist, iris or a .csv file)"],
    [['--dataset', 'iris', '--layers', '5,3'], 'error: --layers starts with 5 but the data set has 4 features'],
    [['--dataset', 'iris', '--layers', '4,2'], 'error: --layers ends with 2 but the data set has 3 targets'],
    [['--dataset', 'iris', '--epochs', '0'], "error: --epochs must be an integer >= 1, got '0'"],
    [['--dataset', 'iris', '--optimizer', 'rmsprop'], "error: --optimizer must be one of gd|sgd|momentum|adam, got 'rmsprop'"],
    [['--dataset', 'iris', '--speed', '3'], 'error: unknown option --speed'],
    [['--dataset', 'iris', '--backend', 'gpu'], "error: unknown backend 'gpu'"],
  ])('bad input %j -> %s', async (argv, message) => {
    const r = await backprop('train', ...argv)
    expect(r.status).toBe(2)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]!.startsWith(message)).toBe(true)
  })

  it('ends a diverging run with an error event naming the step, and exit status 2', async () => {
    const r = await backprop('train', '--dataset', 'iris', '--layers', '4,8,3', '--optimizer', 'sgd', '--lr', '1e12', '--epochs', '5', '--json')
    expect(r.status).toBe(2)
    const last = JSON.parse(r.out.at(-1)!) as { type: string; message: string; step: number }
    expect(last.type).toBe('error')
    expect(last.message).toMatch(/^step \d+ .*NaN|infinite/)
    expect(r.err).toEqual([`error: ${last.message}`])
    // no infinite figure is printed as null: JSON gets the contract's strings
    expect(r.out.join('\n')).not.toContain('null,"testAccuracy"')
  })

  it('writes a checkpoint each epoch and resumes from it; a corrupt one is one error line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-train-'))
    const file = join(dir, 'params.json')
    const base = ['train', '--dataset', 'iris', '--layers', '4,6,3', '--epochs', '2', '--seed', '3', '--json']
    const first = await backprop(...base, '--checkpoint', file)
    expect(first.status).toBe(0)
    expect((JSON.parse(first.out.at(-1)!) as { checkpoint: string }).checkpoint).toBe(file)
    const resumed = await backprop(...base, '--resume', file)
    const fresh = await backprop(...base)
    const loss = (r: { out: string[] }) => (JSON.parse(r.out[0]!) as { trainLoss: number }).trainLoss
    expect(loss(resumed)).toBeLessThan(loss(fresh)) // it starts where the first run ended
    const wrongShape = await backprop('train', '--dataset', 'iris', '--layers', '4,5,3', '--resume', file)
    expect(wrongShape.err).toEqual(["error: parameter 'W1' has shape [6,4] but the model expects [5,4]"])
    writeFileSync(file, '{"format": "backprop-params", "version": 1, "params": {"W1": \n')
    const corrupt = await backprop(...base, '--resume', file)
    expect(corrupt.status).toBe(2)
    expect(corrupt.err).toHaveLength(1)
    expect(corrupt.err[0]).toMatch(/^error: .*params\.json.*not a model file/)
  })

  it('names the line of a malformed CSV file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-train-'))
    writeFileSync(join(dir, 'bad.csv'), 'a,b,label\n1,2,x\n3,oops,y\n')
    const r = await backprop('train', '--dataset', join(dir, 'bad.csv'), '--layers', '2,2')
    expect(r.status).toBe(2)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(/^error: .*bad\.csv line 3, column 2/)
  })
})
