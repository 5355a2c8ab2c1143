import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
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

/** Writes `spec` as a JSON file in a fresh folder and returns its path. */
const netFile = (spec: unknown, name = 'net.json'): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'backprop-net-')), name)
  writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec))
  return file
}

// iris: 4 inputs (units 1-4), hidden units 5-10, softmax outputs 11-13; the
// outputs read the hidden units and, skipping them, inputs 3 and 4. No weights given.
const irisNet = {
  inputs: 4,
  units: [
    ...Array.from({ length: 4 }, () => ({ activation: 'tanh', in: [1, 2, 3, 4] })),
    { activation: 'relu', in: [1, 2, 5, 6] },
    { activation: 'relu', in: [3, 4, 7, 8] },
    ...Array.from({ length: 3 }, () => ({ activation: 'softmax', in: [3, 4, 5, 6, 7, 8, 9, 10] })),
  ],
  outputs: [11, 12, 13],
  loss: 'softmax-cross-entropy',
}

const events = (out: string[]) => out.map((l) => JSON.parse(l) as { type: string; trainLoss: number; testAccuracy: number })

describe('backprop train --net', () => {
  it('trains a general network with skip connections, its weights drawn from the seed', async () => {
    const file = netFile(irisNet)
    const args = ['train', '--net', file, '--dataset', 'iris', '--optimizer', 'adam', '--lr', '0.05', '--batch', '16', '--epochs', '15', '--seed', '1', '--json']
    const r = await backprop(...args)
    expect(r.err).toEqual([])
    expect(r.status).toBe(0)
    const e = events(r.out)
    expect(e.map((x) => x.type)).toEqual([...Array.from({ length: 15 }, () => 'epoch'), 'done'])
    expect(e.at(-1)!.trainLoss).toBeLessThan(e[0]!.trainLoss / 2)
    expect(e.at(-1)!.testAccuracy).toBeGreaterThan(0.85)
    // the same seed gives the same losses; another seed other initial weights
    expect(events((await backprop(...args)).out).map((x) => x.trainLoss)).toEqual(e.map((x) => x.trainLoss))
    const other = events((await backprop(...args.slice(0, -3), '--seed', '2', '--json')).out)
    expect(other[0]!.trainLoss).not.toBe(e[0]!.trainLoss)
  })

  it('--layer-stats reports one entry per unit group', async () => {
    const r = await backprop('train', '--net', netFile(irisNet), '--dataset', 'iris', '--epochs', '1', '--layer-stats', '--json')
    expect(r.status).toBe(0)
    // groups: the tanh units 5-8 (depth 1), the relu units 9-10 (depth 2), the softmax outputs
    const layers = (JSON.parse(r.out[0]!) as { layers: { layer: number; deltaRms: number }[] }).layers
    expect(layers.map((l) => l.layer)).toEqual([1, 2, 3])
    expect(layers.every((l) => l.deltaRms > 0)).toBe(true)
  })

  it('starts from the weights the file gives', async () => {
    // every weight and bias 0: the softmax starts uniform, so the first batch's loss is M ln 3 / M = ln 3 before any update
    const zero = { ...irisNet, units: irisNet.units.map((u) => ({ ...u, bias: 0, in: u.in.map((s) => [s, 0]) })) }
    const r = await backprop('train', '--net', netFile(zero), '--dataset', 'iris', '--optimizer', 'gd', '--lr', '0', '--epochs', '1', '--json')
    expect(r.status).toBe(0)
    expect(Math.abs(events(r.out)[0]!.trainLoss - Math.log(3))).toBeLessThan(1e-6)
  })

  it('writes a checkpoint each epoch and resumes from it', async () => {
    const file = netFile(irisNet)
    const checkpoint = join(mkdtempSync(join(tmpdir(), 'backprop-net-')), 'params.json')
    const base = ['train', '--net', file, '--dataset', 'iris', '--optimizer', 'adam', '--lr', '0.02', '--epochs', '2', '--seed', '3', '--json']
    const first = await backprop(...base, '--checkpoint', checkpoint)
    expect(first.status).toBe(0)
    expect(readFileSync(checkpoint, 'utf8')).toContain('W1_0')
    const resumed = await backprop(...base, '--resume', checkpoint)
    const fresh = await backprop(...base)
    expect(events(resumed.out)[0]!.trainLoss).toBeLessThan(events(fresh.out)[0]!.trainLoss)
  })

  const withUnits = (units: unknown[], more: object = {}) => ({ ...irisNet, units, ...more })
  const u = irisNet.units
  it.each([
    ['a cycle', withUnits([{ activation: 'tanh', in: [1, 6] }, { activation: 'tanh', in: [5] }, ...u.slice(2)]), 'unit 5 takes input from unit 6, which depends on unit 5 (a cycle)'],
    ['an edge from a later unit', withUnits([{ activation: 'tanh', in: [1, 8] }, ...u.slice(1)]), 'unit 5 takes input from unit 8, a later unit'],
    ['an unknown activation', withUnits([u[0], { activation: 'swish', in: [1] }, ...u.slice(2)]), 'unit 6: unknown activation "swish"'],
    ['softmax on some outputs only', withUnits([...u.slice(0, 8), { activation: 'logsig', in: [5] }]), 'unit 13 is an output with activation logsig while unit 11 is softmax'],
    ['too few inputs for the data', { ...irisNet, inputs: 3, units: u.map((x) => ({ ...x, in: x.in.map((s) => s - 1).filter((s) => s >= 1) })), outputs: [10, 11, 12] }, 'the network has 3 inputs but the data set has 4 features'],
    ['too many outputs for the data', withUnits([...u, { activation: 'softmax', in: [5] }], { outputs: [11, 12, 13, 14] }), 'the network has 4 outputs (units 11, 12, 13, 14) but the data set has 3 targets'],
  ])('%s: one error line naming it, exit 2', async (_what, spec, message) => {
    const file = netFile(spec)
    const r = await backprop('train', '--net', file, '--dataset', 'iris', '--epochs', '1')
    expect(r.status).toBe(2)
    expect(r.out).toEqual([])
    expect(r.err).toHaveLength(1)
    expect(r.err[0]!.startsWith(`error: ${file}: `)).toBe(true)
    expect(r.err[0]).toContain(message)
  })

  it.each([
    [['--net', '/nonexistent/net.json'], 'error: cannot read --net file /nonexistent/net.json: ENOENT'],
    [['--net', netFile('{"inputs": 4,')], 'error: --net file '],
    [['--net', netFile(irisNet), '--layers', '4,3'], 'error: --net and --layers both describe the network'],
  ])('bad input %j -> %s', async (argv, message) => {
    const r = await backprop('train', '--dataset', 'iris', ...argv)
    expect(r.status).toBe(2)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]!.startsWith(message)).toBe(true)
  })
})
