import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { layered } from '../layered.js'
import { f64, run } from '../testing/evaluate.js'
import { expectClose } from '../testing/close.js'
import { feedForward } from './network.js'
import { feedForwardParams, unitValues, withWeights } from './params.js'
import type { FeedForwardSpec } from './spec.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** A 2-3-2 layered network written as a general one: units 3..5 hidden, 6..7 outputs. */
const layeredAsGeneral: FeedForwardSpec = {
  inputs: 2,
  units: [
    ...[0, 1, 2].map(() => ({ activation: 'tanh' as const, in: [1, 2] })),
    ...[0, 1].map(() => ({ activation: 'softmax' as const, in: [3, 4, 5] })),
  ],
  outputs: [6, 7],
  loss: 'softmax-cross-entropy',
}

describe('feedForward', () => {
  it('gives a layered network one group per layer and a graph as small as the layered builder\'s', () => {
    const net = right(feedForward({ ...layeredAsGeneral, batch: 4 }))
    expect(net.layout.groups.map((g) => g.units)).toEqual([[3, 4, 5], [6, 7]])
    expect(net.paramNames).toEqual(['W1_0', 'b1', 'W2_1', 'b2'])
    const same = right(layered({ sizes: [2, 3, 2], activations: ['tanh', 'softmax'], loss: 'softmax-cross-entropy', batch: 4 }))
    expect(net.graph.nodes.length).toBe(same.graph.nodes.length)
  })

  it('builds a graph whose size does not grow with the batch', () => {
    const spec: FeedForwardSpec = {
      inputs: 3,
      units: [
        { activation: 'relu', in: [1, 2] },
        { activation: 'logsig', in: [2, 3] },
        { activation: 'tanh', in: [1, 4, 5] },
        { activation: 'linear', in: [3, 6] },
        { activation: 'logsig', in: [4, 6] },
      ],
      outputs: [8, 7],
      loss: 'sse',
    }
    const sizes = [1, 64, 4096].map((batch) => right(feedForward({ ...spec, batch })).graph.nodes.length)
    expect(new Set(sizes).size).toBe(1)
    expect(sizes[0]).toBeLessThan(100) // 5 units, 4 groups: a few nodes per group, none per sample
  })

  it('computes a hand-worked net with a skip connection and outputs out of unit order', () => {
    // units: 2 = relu(2 x1), 3 = 3 x1 - z2 + 1 (linear, skips over unit 2), 4 = logsig(z2); outputs [4, 3]
    const spec: FeedForwardSpec = {
      inputs: 1,
      units: [
        { activation: 'relu', in: [[1, 2]] },
        { activation: 'linear', in: [[1, 3], [2, -1]], bias: 1 },
        { activation: 'logsig', in: [[2, 1]] },
      ],
      outputs: [4, 3],
      loss: 'sse',
    }
    const net = right(feedForward({ ...spec, batch: 2 }))
    const params = right(feedForwardParams(spec, { seed: 0 }))
    const feeds = {
      x: f64({ shape: [2, 1], data: [0.5, -1] }),
      t: f64({ shape: [2, 2], data: [0, 0, 0, 0] }),
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, f64(v)])),
    }
    const [y] = run(net.graph, [net.outputs], feeds)
    const s = (a: number) => 1 / (1 + Math.exp(-a))
    // x = 0.5: z2 = 1, z3 = 1.5 - 1 + 1 = 1.5, z4 = s(1); x = -1: z2 = 0, z3 = -2, z4 = s(0)
    expectClose(y!.data, [s(1), 1.5, 0.5, -2], 'y')
  })

  it('draws left-out weights from the seed and keeps given ones; withWeights writes them back', () => {
    const spec: FeedForwardSpec = { inputs: 2, units: [{ activation: 'relu', in: [1, [2, 0.5]] }, { activation: 'linear', in: [3] }], outputs: [4], loss: 'sse' }
    const a = right(feedForwardParams(spec, { seed: 1 }))
    const b = right(feedForwardParams(spec, { seed: 1 }))
    const c = right(feedForwardParams(spec, { seed: 2 }))
    expect(a).toEqual(b)
    expect(a['W1_0']!.data[0]).not.toBe(c['W1_0']!.data[0])
    expect(a['W1_0']!.data[1]).toBe(0.5)
    const written = withWeights(spec, a)
    expect(written.units[0]!.in).toEqual([[1, a['W1_0']!.data[0]], [2, 0.5]])
    expect(written.units[0]!.bias).toBe(0)
    expect(unitValues(written, right(feedForwardParams(written, { seed: 9 })))).toEqual(unitValues(spec, a))
  })

  it('leaves weights between unconnected units at 0 and masks them out of the graph', () => {
    // unit 4 reads input 1 only, unit 3 reads both: block W1_0 is [[w31, w32], [w41, 0]] with a mask
    const spec: FeedForwardSpec = {
      inputs: 2,
      units: [{ activation: 'tanh', in: [1, 2] }, { activation: 'tanh', in: [1] }, { activation: 'linear', in: [3, 4] }],
      outputs: [5],
      loss: 'sse',
    }
    const net = right(feedForward({ ...spec, batch: 1 }))
    expect(net.layout.groups[0]!.blocks[0]!.mask).toEqual([1, 1, 1, 0])
    const params = right(feedForwardParams(spec, { seed: 3 }))
    expect(params['W1_0']!.data[3]).toBe(0)
    // a value planted off the mask changes nothing
    const planted = { ...params, W1_0: { ...params['W1_0']!, data: Float64Array.from(params['W1_0']!.data).fill(7, 3) } }
    const feeds = (p: typeof params) => ({
      x: f64({ shape: [1, 2], data: [0.3, -0.8] }),
      t: f64({ shape: [1, 1], data: [0] }),
      ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, f64(v)])),
    })
    expect(run(net.graph, [net.outputs], feeds(planted))[0]!.data).toEqual(run(net.graph, [net.outputs], feeds(params))[0]!.data)
  })
})
