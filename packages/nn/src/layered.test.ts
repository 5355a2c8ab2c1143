import { buildOrThrow, emptyGraph, inputsOf, paramsOf } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { activate } from './activations.js'
import { dense } from './dense.js'
import { layered, type Network, rebatch } from './layered.js'
import { lossOf } from './losses.js'
import type { LayeredSpec } from './spec.js'

const spec: LayeredSpec = { sizes: [5, 4, 3, 2], activations: ['relu', 'tanh', 'softmax'], loss: 'softmax-cross-entropy', batch: 7 }

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

describe('layered', () => {
  const net = right(layered(spec))
  const node = (id: number) => net.graph.nodes[id]!

  it('names inputs x [M, D] and t [M, K], and parameters W{l} [N_l, N_{l-1}] and b{l} [N_l]', () => {
    expect([...inputsOf(net.graph).entries()]).toEqual([
      ['x', net.x],
      ['t', net.t],
    ])
    expect(node(net.x).shape).toEqual([7, 5])
    expect(node(net.t).shape).toEqual([7, 2])
    const params = paramsOf(net.graph)
    expect([...params.keys()].sort()).toEqual(['W1', 'W2', 'W3', 'b1', 'b2', 'b3'])
    expect(net.paramNames).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3'])
    expect(net.params.map(({ W, b }) => [node(W).shape, node(b).shape])).toEqual([
      [[4, 5], [4]],
      [[3, 4], [3]],
      [[2, 3], [2]],
    ])
    net.params.forEach(({ W, b }, i) => {
      expect(params.get(`W${i + 1}`)).toBe(W)
      expect(params.get(`b${i + 1}`)).toBe(b)
    })
  })

  it('computes a_l = z_{l-1} W_l^T + b_l and z_l = h_l(a_l)', () => {
    const zs = [net.x, ...net.activations]
    net.preActivations.forEach((a, i) => {
      const sum = node(a)
      expect(sum.op).toBe('add')
      const [product, bias] = sum.inputs
      expect(bias).toBe(net.params[i]!.b)
      expect(node(product!).op).toBe('matmul')
      const [z, Wt] = node(product!).inputs
      expect(z).toBe(zs[i])
      expect(node(Wt!)).toMatchObject({ op: 'transpose', inputs: [net.params[i]!.W] })
      expect(sum.shape).toEqual([7, spec.sizes[i + 1]])
    })
    expect(net.activations.map((z) => node(z).op)).toEqual(['relu', 'tanh', 'softmax'])
    expect(node(net.outputs)).toMatchObject({ op: 'softmax', inputs: [net.preActivations[2]], attrs: { axis: 1 } })
    expect(node(net.loss).shape).toEqual([])
  })

  it('rebuilds the same network for another batch size, with the same parameter names', () => {
    const big = right(rebatch(net, 100))
    expect(big.graph.nodes[big.x]!.shape).toEqual([100, 5])
    expect(big.graph.nodes[big.t]!.shape).toEqual([100, 2])
    expect(big.paramNames).toEqual(net.paramNames)
    expect(big.params.map(({ W }) => big.graph.nodes[W]!.shape)).toEqual(net.params.map(({ W }) => node(W).shape))
    expect(big.spec).toEqual({ ...net.spec, batch: 100 })
    expect(E.isLeft(rebatch(net, 0))).toBe(true)
  })

  it('builds every node in the requested dtype', () => {
    const f32: Network = right(layered({ ...spec, dtype: 'f32' }))
    expect(new Set(f32.graph.nodes.map((n) => n.dtype))).toEqual(new Set(['f32']))
  })

  it('scales the loss by 1/M for the mean and leaves it unscaled for the sum', () => {
    const mean = right(layered({ ...spec, reduction: 'mean' }))
    const scaled = mean.graph.nodes[mean.loss]!
    expect(scaled.op).toBe('mul')
    const factor = mean.graph.nodes[scaled.inputs[1]!]!
    expect(factor).toMatchObject({ op: 'const', attrs: { value: 1 / 7 } })
    expect(node(net.loss).op).toBe('sub') // sum(logSumExp(a)) - sum(t a), no factor
  })
})

describe('builder-level helpers', () => {
  it('compose into other architectures, e.g. a skip connection', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [3, 4])
      const t = b.input('t', [3, 4])
      const h = activate(b, dense(b, x, b.param('W1', [4, 4]), b.param('b1', [4])), 'tanh')
      const a = b.add(dense(b, h, b.param('W2', [4, 4]), b.param('b2', [4])), x) // skip: a = W2 h + b2 + x
      return { a, y: activate(b, a, 'logsig'), loss: lossOf(b, { preActivation: a, activation: 'logsig', t, loss: 'sse' }) }
    })
    expect(graph.nodes[result.loss]!.shape).toEqual([])
    // lossOf reuses the network's output node rather than building a second one
    const sigmoids = graph.nodes.filter((n) => n.op === 'sigmoid')
    expect(sigmoids).toHaveLength(1)
    expect(graph.nodes[result.y]).toMatchObject({ op: 'sigmoid', inputs: [result.a] })
  })

  it('activate maps each activation to its op', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const a = b.input('a', [2, 3])
      return { a, zs: (['linear', 'logsig', 'tanh', 'relu', 'softmax'] as const).map((h) => activate(b, a, h)) }
    })
    expect(result.zs[0]).toBe(result.a)
    expect(result.zs.slice(1).map((z) => graph.nodes[z]!.op)).toEqual(['sigmoid', 'tanh', 'relu', 'softmax'])
  })
})
