// The lecture ends with general feed-forward networks: any DAG of units, with
// delta_i = h'(a_i) * sum over post(i) of w_ki delta_k. The trainer needs nothing
// layered: here it trains y = W2 relu(W1 x + b1) + V x + c, whose input feeds
// both the hidden layer and, through the skip connection, the output.
import { cpuBackend } from '@backprop/backend-cpu'
import { type Dataset, rng } from '@backprop/data'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { type DoneEvent, eventParams, type TrainEvent } from './events.js'
import type { Model, ModelGraph } from './model.js'
import type { Optimizer } from './optimizer.js'
import { adam } from './optimizers/adam.js'
import type { Params } from './params.js'
import { train } from './train.js'
import { seededParams } from './testing/fixtures.js'

const HIDDEN = 3

/** The skip-connection network with a mean (over samples) 1/2 squared error. */
const skipNet: Model = (batch) => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [batch, 2])
    const t = b.input('t', [batch, 1])
    const W1 = b.param('W1', [HIDDEN, 2])
    const b1 = b.param('b1', [HIDDEN])
    const W2 = b.param('W2', [1, HIDDEN])
    const V = b.param('V', [1, 2])
    const c = b.param('c', [1])
    const h = b.relu(b.add(b.matmul(x, b.transpose(W1)), b1))
    const y = b.add(b.add(b.matmul(h, b.transpose(W2)), b.matmul(x, b.transpose(V))), c)
    const loss = b.mul(b.sum(b.square(b.sub(y, t))), b.scalar(0.5 / batch))
    return { y, loss }
  })
  return E.right({ graph, loss: result.loss, outputs: result.y })
}

/** t = x1 - 2 x2 + relu(x1 + x2): a linear part the skip connection carries and a kink the hidden units learn. */
const skipData = (n: number, seed: number): Dataset => {
  const next = rng(seed)
  const x = new Float64Array(2 * n)
  const t = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const x1 = 2 * next() - 1
    const x2 = 2 * next() - 1
    x[2 * i] = x1
    x[2 * i + 1] = x2
    t[i] = x1 - 2 * x2 + Math.max(0, x1 + x2)
  }
  return { name: 'skip', size: n, features: 2, targets: 1, x, t }
}

describe('a general feed-forward network with a skip connection', () => {
  it('gets the lecture\'s deltas: fan-out of x sums over both of its consumers', async () => {
    const params: Params = {
      W1: { shape: [3, 2], dtype: 'f64', data: Float64Array.of(0.5, -0.25, -1, 0.75, 0.25, 0.5) },
      b1: { shape: [3], dtype: 'f64', data: Float64Array.of(0.1, -0.2, 0.3) },
      W2: { shape: [1, 3], dtype: 'f64', data: Float64Array.of(1.5, -0.5, 2) },
      V: { shape: [1, 2], dtype: 'f64', data: Float64Array.of(0.2, -0.4) },
      c: { shape: [1], dtype: 'f64', data: Float64Array.of(0.05) },
    }
    const sample: Dataset = { name: 'one', size: 1, features: 2, targets: 1, x: Float64Array.of(1, -2), t: Float64Array.of(0.5) }
    // an "optimiser" whose new parameters are the gradients: after one step, they are what it saw
    const gradientOut: Optimizer = {
      name: 'gradient',
      fullBatch: false,
      append: (_b, ps) => ({ updates: ps.map((p) => ({ param: p.name, value: p.grad })), scalars: () => ({}) }),
    }
    const done = await lastValueFrom(train({ model: skipNet, backend: cpuBackend(), data: sample, params, optimizer: gradientOut, epochs: 1, batchSize: 1 }))

    // Forward pass by hand: a_j = W1_j . x + b1_j, z_j = relu(a_j), y = W2 . z + V . x + c.
    const x = [1, -2]
    const W1 = params['W1']!.data
    const a = [0, 1, 2].map((j) => W1[2 * j]! * x[0]! + W1[2 * j + 1]! * x[1]! + params['b1']!.data[j]!)
    const z = a.map((v) => Math.max(0, v))
    const W2 = params['W2']!.data
    const V = params['V']!.data
    const y = W2[0]! * z[0]! + W2[1]! * z[1]! + W2[2]! * z[2]! + V[0]! * x[0]! + V[1]! * x[1]! + params['c']!.data[0]!
    // Backward: delta_out = y - t; delta_j = h'(a_j) * W2_j * delta_out.
    const deltaOut = y - 0.5
    const delta = a.map((v, j) => (v > 0 ? 1 : 0) * W2[j]! * deltaOut)
    expect(a.some((v) => v <= 0)).toBe(true) // one unit is off, so relu' = 0 matters
    expect(done.type).toBe('done')
    const g = eventParams(done)!
    expect(Array.from(g['c']!.data)).toEqual([deltaOut].map((v) => expect.closeTo(v, 12)))
    expect(Array.from(g['W2']!.data)).toEqual(z.map((zj) => expect.closeTo(deltaOut * zj, 12)))
    expect(Array.from(g['V']!.data)).toEqual(x.map((xi) => expect.closeTo(deltaOut * xi, 12)))
    expect(Array.from(g['b1']!.data)).toEqual(delta.map((d) => expect.closeTo(d, 12)))
    expect(Array.from(g['W1']!.data)).toEqual(delta.flatMap((d) => x.map((xi) => expect.closeTo(d * xi, 12))))
  })

  it('trains on a small regression problem, the loss falling by far', async () => {
    const { graph } = (skipNet(1) as E.Right<ModelGraph>).right
    const events: TrainEvent[] = await lastValueFrom(
      train({
        model: skipNet,
        backend: cpuBackend(),
        data: skipData(64, 1),
        test: skipData(32, 2),
        params: seededParams(graph, 4),
        optimizer: adam({ lr: 0.02 }),
        epochs: 150,
        batchSize: 8,
        seed: 4,
        stepEvery: 0,
      }).pipe(toArray()),
    )
    const epochs = events.filter((e) => e.type === 'epoch')
    const done = events[events.length - 1] as DoneEvent
    expect(done.type).toBe('done')
    expect(done.trainLoss).toBeLessThan(0.02 * (epochs[0] as { trainLoss: number }).trainLoss)
    expect(done.testLoss!).toBeLessThan(0.01)
    // both paths were trained: the skip weights and the hidden weights moved well away from their start
    const start = seededParams(graph, 4)
    const moved = (name: string) => Math.hypot(...Array.from(eventParams(done)![name]!.data, (v, i) => v - start[name]!.data[i]!))
    expect(moved('V')).toBeGreaterThan(0.5)
    expect(moved('W1')).toBeGreaterThan(0.5)
  })
})
