import { type Feeds, type ParamUpdate, type Tensor, tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { build, buildOrThrow, emptyGraph, type Graph, inputsOf, type NodeId, paramsOf } from '@backprop/graph'
import { initParams, layered, networkGradients } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { afterSums } from './after.js'
import { partition } from './partition.js'
import { planHeld } from './plan.js'
import { maxRelativeError } from '../testing/sharded.js'

// ---------------------------------------------------------------- helpers

const M = 8
const sizes = [3, 5, 2]
const names = ['W1', 'b1', 'W2', 'b2']

/** Deterministic values in [-1, 1). */
const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7))

const unwrap = <A>(e: E.Either<{ readonly message: string } | string, A>): A => {
  if (E.isLeft(e)) throw new Error(typeof e.left === 'string' ? e.left : e.left.message)
  return e.right
}

/**
 * A training step of a 3-5-2 perceptron (tanh, logsig, cross-entropy, mean
 * over the batch) as symbolic differentiation writes it, with the SGD
 * update `p - lr * dE/dp` of every parameter: the gradient of a weight is
 * `(z^T delta)^T`, a transpose of the product that sums over the batch.
 */
const mlp = () => {
  const net = unwrap(layered({ sizes, activations: ['tanh', 'logsig'], loss: 'cross-entropy', reduction: 'mean', batch: M }))
  const grads = unwrap(networkGradients(net))
  const gradients = grads.gradients.flatMap((g) => [g.W, g.b])
  const { graph, result } = buildOrThrow(grads.graph, (b) => {
    const lr = b.input('lr', [], 'f64')
    const byName = paramsOf(grads.graph)
    return names.map((name, i) => b.sub(byName.get(name)!, b.mul(lr, gradients[i]!)))
  })
  const updates: ParamUpdate[] = names.map((param, i) => ({ param, value: result[i]! }))
  return { graph, loss: net.loss, predictions: net.outputs, gradients, updates }
}

const mlpFeeds = (): Feeds => {
  const params = unwrap(initParams({ sizes, activations: ['tanh', 'logsig'] }, { seed: 4 }))
  return {
    ...params,
    x: tensor(values(M * 3, 1), [M, 3]),
    t: tensor(Array.from({ length: M * 2 }, (_, i) => (i % 3 === 0 ? 1 : 0)), [M, 2]),
    lr: tensor([0.3], []),
  }
}

/** The batch analysis with `cut`, over the whole batch, as `planHeld` runs it. */
const cut = (graph: Graph, roots: readonly NodeId[], batchInputs: readonly string[] = ['x', 't'], samples = M) =>
  partition(graph, roots, { batchInputs: new Set(batchInputs), samples, rows: samples, role: 'first', cut: true })

/** The feeds among `feeds` that `graph` has an input or param for. */
const feedsOf = (graph: Graph, feeds: Feeds): Feeds => {
  const known = new Set([...inputsOf(graph).keys(), ...paramsOf(graph).keys()])
  return Object.fromEntries(Object.entries(feeds).filter(([name]) => known.has(name)))
}

/**
 * Checks that the graph after the sums computes what `graph` computes: the
 * sums and the roots evaluated on the full graph, then the roots evaluated
 * on the after graph fed those sums under their input names.
 */
const expectSameRoots = (graph: Graph, roots: readonly NodeId[], sums: readonly NodeId[], keep: readonly string[], feeds: Feeds) => {
  const after = unwrap(afterSums(graph, roots, sums, keep))
  const full = unwrap(evaluate(graph, [...sums, ...roots], feedsOf(graph, feeds)))
  const sumFeeds: Record<string, Tensor> = Object.fromEntries(after.inputs.map((name, k) => [name, full[k]!]))
  const afterFeeds = { ...feedsOf(after.graph, feeds), ...sumFeeds }
  const computed = unwrap(evaluate(after.graph, after.roots, afterFeeds))
  expect(maxRelativeError(computed, full.slice(sums.length))).toBeLessThan(1e-12)
  return after
}

// ---------------------------------------------------------------- tests

describe('partition with cut: the sums handed over', () => {
  const { graph, loss, predictions, gradients, updates } = mlp()
  const roots = [loss, ...updates.map((u) => u.value)]

  it('hands over the sum of the loss and each gradient as one sum, and computes every update after them', () => {
    const p = unwrap(cut(graph, roots))
    // The mean loss is its sum over the batch times 1/M: the sum is handed over, the scaling done after.
    expect(graph.nodes[loss]!.op).toBe('mul')
    const lossSum = graph.nodes[loss]!.inputs.find((i) => graph.nodes[i]!.op === 'sum')!
    expect(lossSum).toBeDefined()
    expect(p.sums).toEqual([lossSum, ...gradients].sort((a, b) => a - b))
    expect(p.after).toEqual([true, true, true, true, true])
    expect(p.kinds).toEqual(roots.map(() => ({ kind: 'first' })))
    expect(p.outputs).toEqual([])
  })

  it('hands over a weight gradient computed transposed as the transpose, not the product under it', () => {
    const p = unwrap(cut(graph, roots))
    for (const l of [0, 1]) {
      const dW = gradients[2 * l]!
      const node = graph.nodes[dW]!
      expect(node.op).toBe('transpose')
      const product = node.inputs[0]!
      expect(graph.nodes[product]!.op).toBe('matmul')
      expect(p.sums).toContain(dW)
      expect(p.sums).not.toContain(product)
      // A bias gradient is a reshape of a sum over the batch axis: the reshape is handed over.
      const db = graph.nodes[gradients[2 * l + 1]!]!
      expect(db.op).toBe('reshape')
      expect(p.sums).not.toContain(db.inputs[0])
    }
  })

  it('hands a gradient over once when it is both requested and read by its update', () => {
    const p = unwrap(cut(graph, [loss, gradients[0]!, ...updates.map((u) => u.value)]))
    expect(p.sums.filter((s) => s === gradients[0])).toHaveLength(1)
    expect(p.kinds[1]).toEqual({ kind: 'sum' })
    expect(p.after[1]).toBe(false)
  })

  it('keeps the predictions along the batch axis in the shard graph', () => {
    const p = unwrap(cut(graph, [predictions, loss, updates[0]!.value]))
    expect(p.kinds[0]).toEqual({ kind: 'concat', axis: 0 })
    expect(p.after).toEqual([false, true, true])
    expect(p.outputs).toHaveLength(1)
    expect(p.graph.nodes[p.outputs[0]!]!.shape).toEqual([M, 2])
  })

  describe('on a hand-built sum s = x^T x', () => {
    const { graph: g, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [M, 3], 'f64')
      const s = b.matmul(b.transpose(x), x)
      const tr = b.transpose(s)
      const flat = b.reshape(s, [9])
      return {
        s,
        tr,
        flat,
        ofTranspose: b.mul(b.param('p', [3, 3], 'f64'), tr),
        ofReshape: b.mul(b.param('q', [9], 'f64'), flat),
        negated: b.neg(s),
        squared: b.square(tr),
        centred: b.sub(x, b.mul(b.sum(x, [0], true), b.scalar(1 / M))),
      }
    })

    it.each([
      ['a transpose of the sum', 'ofTranspose', 'tr'],
      ['a reshape of the sum', 'ofReshape', 'flat'],
      ['a negation of the sum', 'negated', 's'],
      ['a square of a transpose of the sum', 'squared', 'tr'],
    ] as const)('cuts after %s', (_, root, handed) => {
      const p = unwrap(cut(g, [result[root]], ['x']))
      expect(p.sums).toEqual([result[handed]])
      expect(p.after).toEqual([true])
    })

    it('hands over a requested transpose of the sum without cutting it', () => {
      const p = unwrap(cut(g, [result.tr], ['x']))
      expect(p.sums).toEqual([result.tr])
      expect(p.kinds).toEqual([{ kind: 'sum' }])
      expect(p.after).toEqual([false])
      // The shard graph computes the transposed product itself.
      expect(p.graph.nodes[p.outputs[0]!]!.op).toBe('transpose')
    })

    it('does not split a node that combines a sum over the batch with single samples', () => {
      const p = cut(g, [result.centred], ['x'])
      expect(E.isLeft(p) && p.left).toMatch(/combines a sum over the batch with single samples$/)
    })
  })
})

describe('afterSums', () => {
  const { graph, loss, predictions, updates } = mlp()
  const roots = [loss, ...updates.map((u) => u.value)]
  const sums = unwrap(cut(graph, roots)).sums

  it('takes the sums as inputs, with their shapes and dtypes, and no batch input', () => {
    const after = unwrap(afterSums(graph, roots, sums, names))
    expect(after.inputs).toEqual(sums.map((_, k) => `__sum:${k}`))
    const inputs = inputsOf(after.graph)
    expect([...inputs.keys()].sort()).toEqual([...after.inputs, 'lr'].sort())
    after.inputs.forEach((name, k) => {
      const node = after.graph.nodes[inputs.get(name)!]!
      expect(node.shape, name).toEqual(graph.nodes[sums[k]!]!.shape)
      expect(node.dtype, name).toBe('f64')
    })
    expect([...paramsOf(after.graph).keys()].sort()).toEqual([...names].sort())
    expect(after.roots).toHaveLength(roots.length)
  })

  it('leaves out the forward and backward passes, which only feed the sums', () => {
    const after = unwrap(afterSums(graph, roots, sums, names))
    const passes = ['matmul', 'tanh', 'sigmoid', 'softplus']
    expect(after.graph.nodes.filter((n) => passes.includes(n.op)).map((n) => n.op)).toEqual([])
    expect(after.graph.nodes.length).toBeLessThan(graph.nodes.length / 2)
  })

  it('computes the loss and the updates from the full-batch sums as the full graph does', () => {
    expectSameRoots(graph, roots, sums, names, mlpFeeds())
  })

  it('keeps the params it is told to keep even where no root reads them, and ignores unknown names', () => {
    const lossSums = unwrap(cut(graph, [loss])).sums
    const bare = unwrap(afterSums(graph, [loss], lossSums, []))
    expect(paramsOf(bare.graph).size).toBe(0)
    const kept = unwrap(afterSums(graph, [loss], lossSums, ['W2', 'nope']))
    expect([...paramsOf(kept.graph).keys()]).toEqual(['W2'])
    expect(kept.graph.nodes[paramsOf(kept.graph).get('W2')!]!.shape).toEqual([2, 5])
  })

  it('is not asked for the predictions, which the shards compute', () => {
    const plan = unwrap(planHeld(graph, [loss, predictions], updates, ['x', 't'], 2))
    expect(plan.shardOutputs).toEqual([...sums, predictions])
    expect(plan.after.inputs).toHaveLength(sums.length)
    expect(plan.sources).toEqual([
      { from: 'after', index: 0 },
      { from: 'shards', index: sums.length },
    ])
    expect(plan.after.roots).toHaveLength(1 + updates.length)
    expect(plan.shards.shards.map((s) => s.rows)).toEqual([4, 4])
    expect(plan.shards.unsplit).toBeUndefined()
  })

  it.each(['__sum', '__sum:0', '__sum:1'])('names the sums apart from an input of the graph named %s', (taken) => {
    // An input with the name, read by the update; the sums handed over are the gradient [2] and two scalars.
    const { graph: g, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [M, 2], 'f64')
      const w = b.param('w', [2], 'f64')
      const y = b.mul(x, w)
      const step = b.input(taken, [], 'f64')
      const grad = b.sum(b.mul(b.mul(x, b.scalar(2)), y), [0])
      return { loss: b.sum(b.square(y)), next: b.sub(w, b.mul(step, grad)), other: b.sum(y) }
    })
    const rootsHere = [result.loss, result.other, result.next]
    const handed = unwrap(cut(g, rootsHere, ['x'])).sums
    expect(handed).toHaveLength(3)
    const after = unwrap(afterSums(g, rootsHere, handed, ['w']))
    expect(after.inputs).not.toContain(taken)
    // The input and the three sums stay four distinct inputs.
    expect(inputsOf(after.graph).size).toBe(4)
    expectSameRoots(g, rootsHere, handed, ['w'], {
      x: tensor(values(M * 2, 3), [M, 2]),
      w: tensor([0.5, -0.25], [2]),
      [taken]: tensor([0.01], []),
    })
  })
})

describe('planHeld: why a held plan is not split', () => {
  const { graph, loss, predictions, updates } = mlp()

  it.each([
    [undefined, 2, 'no batchInputs were given'],
    [[], 2, 'no batchInputs were given'],
    [['x', 't'], 1, 'the backend has a single worker'],
  ] as const)('batchInputs %j on %i workers: %s', (batchInputs, workers, reason) => {
    expect(planHeld(graph, [loss], updates, batchInputs, workers)).toEqual(E.left(reason))
  })

  it('names the update that depends on single samples', () => {
    const { graph: g, result } = unwrap(
      build(graph, (b) => ({ h: b.param('h', [M, 2], 'f64') })),
    )
    const stray = [...updates, { param: 'h', value: predictions }]
    expect(g.nodes[result.h]!.shape).toEqual([M, 2])
    expect(planHeld(g, [loss], stray, ['x', 't'], 2)).toEqual(E.left("the update of 'h' depends on single samples"))
  })

  it('says so for a batch of one sample', () => {
    const net = unwrap(layered({ sizes, activations: ['tanh', 'logsig'], loss: 'cross-entropy', batch: 1 }))
    const grads = unwrap(networkGradients(net))
    const { graph: g, result } = buildOrThrow(grads.graph, (b) => b.sub(paramsOf(grads.graph).get('b2')!, grads.gradients[1]!.b))
    expect(planHeld(g, [net.loss], [{ param: 'b2', value: result }], ['x', 't'], 2)).toEqual(E.left('a batch of 1 sample(s) is not split'))
  })
})
