import type { Tensor } from '@backprop/backend'
import { grad } from '@backprop/diff'
import { type Builder, buildOrThrow, type NodeId, simplify } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { layered, type Network } from './layered.js'
import type { Activation, Loss, Reduction } from './spec.js'
import { f64, numbers, run } from './testing/evaluate.js'
import { expectClose } from './testing/close.js'

// The lecture: for the matched pairs, delta_L = dE/da_L = y - t. Here the
// symbolic derivative of each matched loss, once simplified, must be exactly
// the node y - t, with y written out independently of the nn package.
const pairs: readonly { activation: Activation; loss: Loss; y: (b: Builder, a: NodeId) => NodeId; targets: 'real' | 'soft' | 'one-hot' }[] = [
  { activation: 'linear', loss: 'sse', y: (_b, a) => a, targets: 'real' },
  { activation: 'logsig', loss: 'cross-entropy', y: (b, a) => b.sigmoid(a), targets: 'soft' },
  { activation: 'softmax', loss: 'softmax-cross-entropy', y: (b, a) => b.softmax(a, 1), targets: 'one-hot' },
]

const M = 5
const K = 3

const network = (activation: Activation, loss: Loss, reduction: Reduction): Network => {
  const net = layered({ sizes: [4, 6, K], activations: ['tanh', activation], loss, reduction, batch: M })
  if (E.isLeft(net)) throw new Error(net.left.message)
  return net.right
}

const feedsFor = (targets: 'real' | 'soft' | 'one-hot', seed: number): Record<string, Tensor> => {
  const next = numbers(seed)
  const fill = (shape: number[], lo: number, hi: number): Tensor =>
    f64({ shape, data: Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => next(lo, hi)) })
  const t =
    targets === 'one-hot'
      ? f64({ shape: [M, K], data: Array.from({ length: M * K }, (_, i) => (i % K === (Math.floor(i / K) * 2) % K ? 1 : 0)) })
      : fill([M, K], targets === 'soft' ? 0 : -2, targets === 'soft' ? 1 : 2)
  return { x: fill([M, 4], -2, 2), t, W1: fill([6, 4], -1, 1), b1: fill([6], -0.5, 0.5), W2: fill([K, 6], -1.5, 1.5), b2: fill([K], -0.5, 0.5) }
}

describe.each(pairs)('$activation + $loss', ({ activation, loss, y: outputOf, targets }) => {
  const net = network(activation, loss, 'sum')
  const aL = net.preActivations[1]!
  const derived = grad(net.graph, net.loss, [aL])
  if (E.isLeft(derived)) throw new Error(derived.left.message)
  const { graph, gradients } = derived.right
  const dEda = gradients[0]!
  // y - t built by hand in the same graph: hash-consing finds the network's own y
  const { graph: withDelta, result } = buildOrThrow(graph, (b) => {
    const y = outputOf(b, aL)
    return { y, delta: b.sub(y, net.t) }
  })

  it('the hand-built y is the network output node', () => {
    expect(result.y).toBe(net.outputs)
  })

  it('simplifies dE/da_L to exactly the node y - t', () => {
    const s = simplify(withDelta, [dEda, result.delta, result.y, net.t])
    const [g, delta, y, t] = s.outputs
    expect(g).toBe(delta)
    expect(s.graph.nodes[delta!]).toMatchObject({ op: 'sub', inputs: [y, t] })
    expect(s.graph.nodes[y!]!.op).toBe(activation === 'linear' ? 'add' : activation === 'logsig' ? 'sigmoid' : 'softmax')
  })

  it('equals y - t numerically, simplified or not', () => {
    for (const seed of [1, 2, 3]) {
      const feeds = feedsFor(targets, seed)
      const s = simplify(withDelta, [dEda])
      const [raw, yv, tv] = run(withDelta, [dEda, result.y, net.t], feeds)
      const [simplified] = run(s.graph, s.outputs, feeds)
      const expected = Array.from(yv!.data, (yi, i) => yi - tv!.data[i]!)
      expectClose(raw!.data, expected, 'dE/da')
      expectClose(simplified!.data, expected, 'simplified dE/da')
    }
  })

  it('is (y - t) / M for the mean', () => {
    const mean = network(activation, loss, 'mean')
    const d = grad(mean.graph, mean.loss, [mean.preActivations[1]!])
    if (E.isLeft(d)) throw new Error(d.left.message)
    const feeds = feedsFor(targets, 4)
    const [g, yv, tv] = run(d.right.graph, [d.right.gradients[0]!, mean.outputs, mean.t], feeds)
    expectClose(g!.data, Array.from(yv!.data, (yi, i) => (yi - tv!.data[i]!) / M), 'dE/da')
  })
})
