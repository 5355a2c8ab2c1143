import { type Feeds, tensor } from '@backprop/backend'
import { buildOrThrow, type DType, emptyGraph, type Graph, type NodeId } from '@backprop/graph'
import { values } from './random-graphs.js'

/** A training step graph and the node ids a test needs. */
export interface TrainingStep {
  readonly graph: Graph
  readonly loss: NodeId
  /** Parameter names, in order, with the node of each one's SGD update. */
  readonly params: readonly string[]
  readonly updates: readonly NodeId[]
  readonly gradients: readonly NodeId[]
}

/**
 * The training step of a two-layer perceptron (relu hidden layer, softmax
 * cross-entropy, mean over the batch, SGD with a fed learning rate `lr`),
 * with its backward pass written out as symbolic differentiation writes it:
 * layers as `z W^T + b`, and weight gradients as `(z^T g)^T`, so that the
 * plan must recognise transposed products. Built by hand because the diff
 * package depends on this one.
 */
export const mlpStep = (batch: number, sizes: readonly [number, number, number], dtype: DType): TrainingStep => {
  const [d, h, k] = sizes
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [batch, d], dtype)
    const t = b.input('t', [batch, k], dtype)
    const W1 = b.param('W1', [h, d], dtype)
    const b1 = b.param('b1', [h], dtype)
    const W2 = b.param('W2', [k, h], dtype)
    const b2 = b.param('b2', [k], dtype)
    const a1 = b.add(b.matmul(x, b.transpose(W1)), b1)
    const z1 = b.relu(a1)
    const a2 = b.add(b.matmul(z1, b.transpose(W2)), b2)
    const scale = b.scalar(1 / batch, dtype)
    const loss = b.mul(b.sub(b.sum(b.logSumExp(a2, 1)), b.sum(b.mul(t, a2))), scale)
    // dE/da2 = (softmax(a2) - t) / batch
    const g2 = b.mul(b.sub(b.softmax(a2, 1), t), scale)
    const dW2 = b.transpose(b.matmul(b.transpose(z1), g2))
    const db2 = b.reshape(b.sum(g2, [0], true), [k])
    const g1 = b.mul(b.matmul(g2, b.transpose(b.transpose(W2))), b.greater(a1, b.scalar(0, dtype)))
    const dW1 = b.transpose(b.matmul(b.transpose(x), g1))
    const db1 = b.reshape(b.sum(g1, [0], true), [h])
    const lr = b.input('lr', [], dtype)
    const params = [W1, b1, W2, b2]
    const gradients = [dW1, db1, dW2, db2]
    const updates = params.map((p, i) => b.sub(p, b.mul(lr, gradients[i]!)))
    return { loss, updates, gradients }
  })
  return { graph, loss: result.loss, params: ['W1', 'b1', 'W2', 'b2'], updates: result.updates, gradients: result.gradients }
}

/** Feeds for {@link mlpStep}: a batch with one-hot targets, small weights and the learning rate. */
export const mlpFeeds = (batch: number, sizes: readonly [number, number, number], dtype: DType, seed = 1): Record<string, ReturnType<typeof tensor>> => {
  const [d, h, k] = sizes
  const small = (n: number, s: number): number[] => values(n, s).map((v) => v * 0.1)
  const feeds: Feeds = {
    x: tensor(values(batch * d, seed).map((v) => Math.abs(v) / 3), [batch, d], dtype),
    t: tensor(Array.from({ length: batch * k }, (_, i) => (i % k === (Math.floor(i / k) * 7 + seed) % k ? 1 : 0)), [batch, k], dtype),
    W1: tensor(small(h * d, seed + 1), [h, d], dtype),
    b1: tensor(small(h, seed + 2), [h], dtype),
    W2: tensor(small(k * h, seed + 3), [k, h], dtype),
    b2: tensor(small(k, seed + 4), [k], dtype),
    lr: tensor([0.5], [], dtype),
  }
  return feeds as Record<string, ReturnType<typeof tensor>>
}
