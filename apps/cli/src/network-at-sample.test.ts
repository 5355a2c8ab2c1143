import { type Dashboard, defaultSettings, type NetworkView, type RunSettings, startDashboard } from '@backprop/dashboard'
import { deltaRule, layersOf } from '@backprop/nn'
import { eventParams } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { dashboardHooks } from './commands/dashboard.js'
import { networkAt } from './network-at-sample.js'
import { loadDataset, prepareRun, type TrainSettings } from './training.js'

/** A short iris run in float64: its small tensors are served whole. */
const settings: RunSettings = { ...defaultSettings, dataset: 'iris', layers: [4, 8, 3], hidden: 'tanh', epochs: 3, seed: 4, dtype: 'f64' }

let dashboard: Dashboard | undefined
afterEach(async () => {
  await dashboard?.close()
  dashboard = undefined
})

const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(new URL(path, dashboard!.url))
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Waits until the dashboard's run has ended (the run is a few hundred steps on iris). */
const runEnded = async (): Promise<void> => {
  for (;;) {
    const { body } = await get('/status')
    if (body['state'] !== 'running') return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const node = (view: NetworkView, name: string) => {
  const found = view.nodes.find((n) => n.name === name)
  if (found === undefined) throw new Error(`no node ${name}`)
  return found
}

describe('the network at one sample, served by the dashboard', () => {
  it('gives every node its value and adjoint dE/dv at the run\'s final parameters, as the lecture\'s delta rule computes them', { timeout: 60_000 }, async () => {
    dashboard = await startDashboard({ port: 0, ...dashboardHooks })
    expect((await get('/network?sample=0')).status).toBe(404)
    const started = await fetch(new URL('/start', dashboard.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: dashboard.url.slice(0, -1) },
      body: JSON.stringify(settings),
    })
    expect(started.status).toBe(202)
    await runEnded()
    const { status, body } = await get('/network?sample=7')
    expect(status).toBe(200)
    const view = body as unknown as NetworkView & { epoch: number }
    expect(view.epoch).toBe(3)

    // The parameters are the run's final ones: an identical seeded run outside the dashboard ends with them.
    const run = prepareRun(settings as TrainSettings)
    if (E.isLeft(run)) throw new Error(run.left)
    const final = eventParams(await lastValueFrom(run.right.events))!
    for (const name of ['W1', 'b1', 'W2', 'b2']) {
      const served = node(view, name).value
      expect(served.values.length).toBe(served.size)
      expect(served.values).toEqual(Array.from(final[name]!.data))
    }

    // The delta rule (plain loops, no graph, no symbolic derivative) on the same sample.
    const split = loadDataset(settings as TrainSettings)
    if (E.isLeft(split)) throw new Error(split.left)
    const { test } = split.right
    const x = test.x.slice(7 * 4, 8 * 4)
    const t = test.t.slice(7 * 3, 8 * 3)
    expect(view.target).toEqual(Array.from(t))
    const reference = deltaRule({
      weights: layersOf(final, 2)!,
      x: { shape: [1, 4], data: x },
      t: { shape: [1, 3], data: t },
      activations: ['tanh', 'softmax'],
      loss: 'softmax-cross-entropy',
      reduction: 'mean',
    })
    if (E.isLeft(reference)) throw new Error(reference.left.message)
    const { loss, outputs, deltas, gradients } = reference.right
    const close = (got: readonly number[], want: ArrayLike<number>) => {
      expect(got).toHaveLength(want.length)
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 10))
    }
    expect(view.loss).toBeCloseTo(loss, 10)
    close(view.output, outputs.data)
    close(node(view, 'E').value.values, [loss])
    close(node(view, 'x').value.values, x)
    // delta_l = dE/da_l, and the gradient of each parameter.
    close(node(view, 'a1').adjoint!.values, deltas[0]!.data)
    close(node(view, 'a2').adjoint!.values, deltas[1]!.data)
    gradients.forEach(({ W, b }, l) => {
      close(node(view, `W${l + 1}`).adjoint!.values, W.data)
      close(node(view, `b${l + 1}`).adjoint!.values, b.data)
    })
    // dE/dE = 1, and the drawing carries the names and numbers.
    close(node(view, 'E').adjoint!.values, [1])
    expect(view.svg).toMatch(/^<svg|<svg /)
    for (const text of ['a1', 'W2', '∂E/∂v', `test sample 7`]) expect(view.svg).toContain(text)
  })

  it('says which samples there are, and refuses a sample that is not a position', { timeout: 60_000 }, async () => {
    dashboard = await startDashboard({ port: 0, ...dashboardHooks })
    await fetch(new URL('/start', dashboard.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: dashboard.url.slice(0, -1) },
      body: JSON.stringify({ ...settings, epochs: 1 }),
    })
    await runEnded()
    const outside = await get('/network?sample=1000')
    expect(outside.status).toBe(400)
    expect(outside.body['error']).toMatch(/^the test set has \d+ samples: choose one from 0 to \d+$/)
    for (const bad of ['-1', 'abc', '1.5', '']) {
      const refused = await get(`/network?sample=${bad}`)
      expect(refused.status).toBe(400)
      expect(refused.body['error']).toContain('sample must be')
    }
  })

  it('summarises the tensors of an MNIST network instead of writing out 100,352 weights', { timeout: 60_000 }, async () => {
    const mnist: RunSettings = { ...defaultSettings, dataset: 'mnist', layers: [784, 16, 10], trainSize: 100, testSize: 20, dtype: 'f32' }
    const run = prepareRun(mnist as TrainSettings)
    if (E.isLeft(run)) throw new Error(run.left)
    const params = eventParams(await lastValueFrom(run.right.events))!
    const view = await networkAt(mnist, params, 3)
    if (E.isLeft(view)) throw new Error(view.left)
    const W1 = node(view.right, 'W1')
    expect(W1.value.size).toBe(784 * 16)
    expect(W1.value.values).toHaveLength(8)
    expect(W1.value.values).toEqual(Array.from(params['W1']!.data.subarray(0, 8)))
    const norm = Math.sqrt(Array.from(params['W1']!.data).reduce((s, v) => s + v * v, 0))
    expect(W1.value.norm).toBeCloseTo(norm, 3)
    expect(view.right.svg).toContain('‖·‖')
  })
})
