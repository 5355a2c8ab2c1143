import { type Feeds, type Tensor, tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import { grad } from '@backprop/diff'
import { type Builder, buildOrThrow, emptyGraph, fromJson, type Graph, type NodeId } from '@backprop/graph'
import { type Activation, initParams, layered, type Loss, networkGradients, type Reduction } from '@backprop/nn'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { partition } from './partition.js'
import { feedsOf, maxRelativeError, runSharded } from '../testing/sharded.js'

/** Deterministic values in [-1, 1): a small linear congruential generator. */
const values = (n: number, seed: number): number[] => {
  let s = seed >>> 0
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (2 * s) / 2 ** 32 - 1
  })
}

const full = (graph: Graph, outputs: readonly NodeId[], feeds: Feeds): Tensor[] => {
  const out = evaluate(graph, outputs, feedsOf(graph, feeds))
  if (E.isLeft(out)) throw new Error(out.left.message)
  return out.right
}

/** Evaluates shard graph `k` of a plan on its own feeds. */
const shardValues = (graph: Graph, outputs: readonly NodeId[], feeds: Feeds, rows: number, role: 'first' | 'rest', samples: number) => {
  const p = partition(graph, outputs, { batchInputs: new Set(['x']), samples, rows, role })
  if (E.isLeft(p)) throw new Error(p.left)
  return full(p.right.graph, p.right.outputs, feeds).map((t) => Array.from(t.data))
}

describe('partition: layered networks', () => {
  const cases: { activations: Activation[]; loss: Loss }[] = [
    { activations: ['tanh', 'linear'], loss: 'sse' },
    { activations: ['relu', 'logsig'], loss: 'cross-entropy' },
    { activations: ['logsig', 'softmax'], loss: 'softmax-cross-entropy' },
    { activations: ['tanh', 'logsig'], loss: 'sse' },
    { activations: ['relu', 'softmax'], loss: 'cross-entropy' },
  ]
  const reductions: Reduction[] = ['sum', 'mean']

  it.each(cases.flatMap((c) => reductions.map((reduction) => ({ ...c, reduction }))))(
    '$activations.1 + $loss ($reduction): loss and gradients summed, predictions concatenated, as on one CPU',
    ({ activations, loss, reduction }) => {
      const sizes = [3, 5, activations[1] === 'softmax' ? 3 : 2]
      const batch = 7
      const net = layered({ sizes, activations, loss, reduction, batch })
      if (E.isLeft(net)) throw new Error(net.left.message)
      const grads = networkGradients(net.right)
      if (E.isLeft(grads)) throw new Error(grads.left.message)
      const params = initParams({ sizes, activations }, { seed: 3 })
      if (E.isLeft(params)) throw new Error(params.left.message)
      const K = sizes[2]!
      const t = Array.from({ length: batch * K }, (_, i) => (i % K === (i / K) % K ? 1 : 0))
      const feeds: Feeds = { ...params.right, x: tensor(values(batch * 3, 11), [batch, 3]), t: tensor(t, [batch, K]) }
      const outputs = [net.right.loss, ...grads.right.gradients.flatMap((g) => [g.W, g.b]), net.right.outputs]
      const expected = full(grads.right.graph, outputs, feeds)
      for (const workers of [2, 3, 4, 9]) {
        const { plan, values: got } = runSharded(grads.right.graph, outputs, ['x', 't'], feeds, workers)
        expect(plan.unsplit, `workers ${workers}`).toBeUndefined()
        expect(plan.shards.map((s) => s.rows)).toEqual({ 2: [4, 3], 3: [3, 2, 2], 4: [2, 2, 2, 1], 9: [1, 1, 1, 1, 1, 1, 1] }[workers])
        expect(plan.kinds).toEqual([...outputs.slice(0, -1).map(() => ({ kind: 'sum' })), { kind: 'concat', axis: 0 }])
        expect(maxRelativeError(got, expected), `workers ${workers}`).toBeLessThan(1e-12)
      }
    },
  )
})

describe('partition: what a shard computes', () => {
  it('keeps the full batch in the 1/M of a mean, so the shard losses add up to the batch loss', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.mean(b.square(b.input('x', [4]))))
    // x = 1, 2, 3, 4: shard 0 holds 1, 2 and gives (1 + 4) / 4, not (1 + 4) / 2.
    expect(shardValues(graph, [result], { x: tensor([1, 2], [2]) }, 2, 'first', 4)).toEqual([[1.25]])
    expect(shardValues(graph, [result], { x: tensor([3, 4], [2]) }, 2, 'rest', 4)).toEqual([[6.25]])
  })

  it('adds a batch-independent term to a sum over the batch in the first shard only', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const w = b.param('w')
      const data = b.sum(b.mul(b.input('x', [4]), w))
      return [b.add(data, b.square(w)), b.sub(b.scalar(10), data)]
    })
    const w = tensor([3], [])
    // x = 1, 2 | 3, 4 with w = 3: sum x w = 9 | 21, w^2 = 9, 10 - 30 = -20.
    expect(shardValues(graph, result, { w, x: tensor([1, 2], [2]) }, 2, 'first', 4)).toEqual([[18], [1]])
    expect(shardValues(graph, result, { w, x: tensor([3, 4], [2]) }, 2, 'rest', 4)).toEqual([[21], [-21]])
  })

  it('computes outputs that do not depend on the batch in the first shard only', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const w = b.param('w', [2])
      return [b.sum(b.input('x', [4, 2]), [0]), b.exp(w)]
    })
    const { plan } = runSharded(graph, result, ['x'], { x: tensor(values(8, 1), [4, 2]), w: tensor([0, 1], [2]) }, 2)
    expect(plan.kinds).toEqual([{ kind: 'sum' }, { kind: 'first' }])
    expect(plan.shards.map((s) => s.results)).toEqual([[0, 1], [0, -1]])
  })

  it('gives back a graph computing the same values for the full batch', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [3, 2])
      const h = b.tanh(b.matmul(x, b.param('W', [2, 2])))
      return [b.sum(h), b.softmax(h), b.transpose(h)]
    })
    const feeds = { x: tensor(values(6, 2), [3, 2]), W: tensor(values(4, 3), [2, 2]) }
    const p = partition(graph, result, { batchInputs: new Set(['x']), samples: 3, rows: 3, role: 'first' })
    expect(E.isRight(p) && full(p.right.graph, p.right.outputs, feeds)).toEqual(full(graph, result, feeds))
  })
})

/** A graph over x [4,3] (the batch), v [3] (a param) and whatever `recipe` adds. */
const over = (recipe: (b: Builder, x: NodeId, v: NodeId) => NodeId | NodeId[]) =>
  buildOrThrow(emptyGraph, (b) => {
    const out = recipe(b, b.input('x', [4, 3]), b.param('v', [3]))
    return Array.isArray(out) ? out : [out]
  })

describe('partition: which graphs split, and how outputs combine', () => {
  const feeds: Feeds = { x: tensor(values(12, 5), [4, 3]), v: tensor(values(3, 6), [3]), t: tensor(values(5, 7), [5]) }

  const splitting: [string, ReturnType<typeof over>, string][] = [
    ['a transposed output, along axis 1', over((b, x) => b.transpose(b.exp(x))), 'concat 1'],
    ['the Gram matrix x^T x', over((b, x) => b.matmul(b.transpose(x), x)), 'sum'],
    ['a sum over the features only', over((b, x, v) => b.sum(b.mul(x, v), [1], true)), 'concat 0'],
    ['samples times a uniform broadcast constant', over((b, x) => b.sum(b.mul(x, b.broadcast(b.scalar(2, 'f64', [4, 1]), [4, 3])))), 'sum'],
    ['x^T times a splatted constant of M rows', over((b, x) => b.matmul(b.transpose(x), b.scalar(0.5, 'f64', [4, 2]))), 'sum'],
    ['a reshape that keeps the batch axis apart', over((b, x) => b.reshape(b.sigmoid(x), [1, 4, 3, 1])), 'concat 1'],
    ['a softmax and a maximum along the features', over((b, x) => b.add(b.softmax(x, 1), b.reduceMax(x, [1], true))), 'concat 0'],
    ['a linear function of a batch sum', over((b, x, v) => b.div(b.neg(b.transpose(b.sum(x, [0], true))), v)), 'sum'],
  ]

  it.each(splitting)('splits %s', (_, { graph, result }, kind) => {
    const expected = full(graph, result, feeds)
    for (const workers of [2, 3, 4, 5]) {
      const { plan, values: got } = runSharded(graph, result, ['x'], feeds, workers)
      expect(plan.unsplit).toBeUndefined()
      const k = plan.kinds[0]!
      expect(k.kind === 'concat' ? `concat ${k.axis}` : k.kind).toBe(kind)
      expect(maxRelativeError(got, expected)).toBeLessThan(1e-12)
    }
  })

  const unsplit: [string, ReturnType<typeof over>, string | RegExp][] = [
    ['a maximum across the batch', over((b, x) => b.reduceMax(x, [0])), /^node #\d+ \(reduceMax\) takes the maximum across the batch$/],
    ['a softmax across the batch', over((b, x) => b.softmax(x, 0)), /\(softmax\) normalises across the batch/],
    ['batch normalisation', over((b, x) => b.sub(x, b.mean(x, [0], true))), /\(sub\) combines a sum over the batch with single samples/],
    ['a square of a batch sum', over((b, x) => b.square(b.sum(x))), /\(square\) is not linear in a sum over the batch/],
    ['a product of two batch sums', over((b, x) => b.mul(b.sum(x), b.sum(b.exp(x)))), /\(mul\) is not linear/],
    ['rows of a constant that differ', over((b, x) => b.mul(x, b.constant([1, 2, 3, 4], [4, 1]))), /\(mul\) combines the samples with a batch-independent value of 4 rows that differ/],
    ['samples times samples', over((b, x) => b.matmul(x, b.transpose(x))), /\(matmul\) multiplies samples with samples/],
    ['a reshape across samples', over((b, x) => b.reshape(x, [12])), /\(reshape\) mixes the batch axis with other axes/],
    ['a softmax along a uniform axis of M rows', over((b, x) => b.mul(x, b.softmax(b.scalar(1, 'f64', [4, 1]), 0))), /batch-independent value of 4 rows/],
    ['outputs that do not depend on the batch', over((b, _x, v) => b.exp(v)), 'no batch input reaches the outputs'],
  ]

  it.each(unsplit)('does not split %s, and still computes it', (_, { graph, result }, reason) => {
    const { plan, values: got } = runSharded(graph, result, ['x'], feeds, 3)
    expect(plan.shards).toHaveLength(1)
    expect(plan.unsplit).toMatch(reason)
    expect(got).toEqual(full(graph, result, feeds))
  })

  it('does not split batch inputs of different extents, scalars, single samples or no batch inputs', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => [
      b.sum(b.input('x', [4, 3])),
      b.sum(b.input('t', [5])),
      b.input('s', []),
      b.input('one', [1, 2]),
    ])
    const reason = (outputs: NodeId[], batch: string[]) => runSharded(graph, outputs, batch, {
      x: feeds.x!, t: feeds.t!, s: tensor([1], []), one: tensor([1, 2], [1, 2]),
    }, 2).plan.unsplit
    expect(reason([result[0]!, result[1]!], ['x', 't'])).toBe("batch inputs 'x' and 't' have 4 and 5 rows")
    expect(reason([result[2]!], ['s'])).toBe("batch input 's' is a scalar")
    expect(reason([result[3]!], ['one'])).toBe('a batch of 1 sample(s) is not split')
    expect(reason([result[0]!], ['t'])).toBe('no batch input reaches the outputs')
    expect(reason([result[0]!], [])).toBe('no batchInputs were given')
  })

  it('splits only inputs, never a param named in batchInputs', () => {
    const { graph, result } = over((b, x, v) => b.sum(b.mul(x, v)))
    const { plan, values: got } = runSharded(graph, result, ['x', 'v'], feeds, 2)
    expect([...plan.batched]).toEqual(['x'])
    expect(maxRelativeError(got, full(graph, result, feeds))).toBeLessThan(1e-12)
  })
})

describe('partition: random graphs and their gradients', () => {
  type Step = { readonly op: number; readonly a: number; readonly b: number; readonly axis: number }
  const unary = ['tanh', 'sigmoid', 'neg', 'square', 'sin', 'relu', 'abs'] as const
  const binary = ['add', 'sub', 'mul', 'max', 'min', 'div'] as const

  /** Applies step `s` to the nodes so far, or does nothing when the shapes do not fit. */
  const apply = (b: Builder, nodes: NodeId[], s: Step): void => {
    const a = nodes[s.a % nodes.length]!
    const c = nodes[s.b % nodes.length]!
    const rank = b.node(a).shape.length
    const axis = rank === 0 ? 0 : s.axis % rank
    const kinds = [
      () => b.unary(unary[s.op % unary.length]!, a),
      () => b.binary(binary[s.op % binary.length]!, a, binary[s.op % binary.length] === 'div' ? b.add(b.square(c), b.scalar(1)) : c),
      () => b.matmul(a, c),
      () => b.transpose(a),
      () => b.sum(a, [axis], s.op % 2 === 0),
      () => b.mean(a, [axis], s.op % 2 === 1),
      () => b.softmax(a, axis),
      () => b.logSumExp(a, axis, s.op % 2 === 0),
      () => b.reduceMax(a, [axis], true),
      () => b.reshape(a, [...b.node(a).shape, 1]),
      () => b.broadcast(a, [2, ...b.node(a).shape]),
    ]
    try {
      nodes.push(kinds[s.op % kinds.length]!())
    } catch {
      // Shapes that do not fit: skip the step (the builder adds nothing before it throws).
    }
  }

  it('computes every graph the same, split or not, and splits over a third of them', () => {
    let split = 0
    let runs = 0
    const step = fc.record({ op: fc.nat(1000), a: fc.nat(1000), b: fc.nat(1000), axis: fc.nat(3) })
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(step, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 2, max: 5 }),
        (M, D, steps, workers) => {
          const built = buildOrThrow(emptyGraph, (b) => {
            const x = b.input('x', [M, D])
            const t = b.input('t', [M, D])
            const w = b.param('w', [D])
            const W = b.param('W', [D, D])
            const nodes = [x, t, w, W, b.scalar(0.5), b.scalar(2, 'f64', [M, 1]), b.add(x, w)]
            for (const s of steps) apply(b, nodes, s)
            const last = nodes[nodes.length - 1]!
            return { loss: b.sum(b.mul(last, last)), last, w, W }
          })
          const derived = grad(built.graph, built.result.loss, [built.result.w, built.result.W])
          if (E.isLeft(derived)) throw new Error(derived.left.message)
          const outputs = [built.result.loss, ...derived.right.gradients, built.result.last]
          const feeds: Feeds = {
            x: tensor(values(M * D, M + D), [M, D]),
            t: tensor(values(M * D, 7), [M, D]),
            w: tensor(values(D, 8), [D]),
            W: tensor(values(D * D, 9), [D, D]),
          }
          const expected = full(derived.right.graph, outputs, feeds)
          const { plan, values: got } = runSharded(derived.right.graph, outputs, ['x', 't'], feeds, workers)
          runs += 1
          if (plan.unsplit === undefined) split += 1
          expect(maxRelativeError(got, expected)).toBeLessThan(1e-12)
        },
      ),
      { numRuns: 300, seed: 4242 },
    )
    expect(split).toBeGreaterThan(runs / 3)
  })

  it('reads every shard graph back from its JSON', () => {
    const { graph, result } = over((b, x, v) => b.sum(b.mul(b.tanh(x), v)))
    const { plan } = runSharded(graph, result, ['x'], { x: tensor(values(12, 1), [4, 3]), v: tensor([1, 2, 3], [3]) }, 3)
    for (const shard of plan.shards) {
      const read = fromJson(shard.graph)
      expect(E.isRight(read) && read.right.graph.nodes.find((n) => n.op === 'input')?.shape).toEqual([shard.rows, 3])
    }
  })
})
