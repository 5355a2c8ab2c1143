import * as E from 'fp-ts/lib/Either.js'
import { type Executable, isStateful, type Tensor, tensor } from '@backprop/backend'
import { cpuBackend, type CpuExecutable, evaluate, type ParamUpdate } from '@backprop/backend-cpu'
import { buildOrThrow, type DType, type Graph, type NodeId } from '@backprop/graph'
import { layered, networkGradients } from '@backprop/nn'
import type { ParamValues, StepResult, TrainingJob } from './agreement.js'
import type { Jax, Tf } from './peers.js'
import { quietly, useTfBackend } from './peers.js'

/** The network every system trains: 784-128-10, relu, softmax cross-entropy (mean), SGD. */
export const sizes = [784, 128, 10] as const
const [D, H, K] = sizes
/** The learning rate of the SGD step. */
export const lr = 0.1

/** A batch as plain arrays, as a data loader would hand it over. */
export interface Batch {
  readonly x: Float32Array | Float64Array
  readonly t: Float32Array | Float64Array
}

/** A deterministic generator of uniform numbers in [0, 1). */
const uniform = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/** An array of `n` values of `dtype` from `value`. */
const filled = (dtype: DType, n: number, value: () => number): Float32Array | Float64Array => {
  const data = dtype === 'f32' ? new Float32Array(n) : new Float64Array(n)
  for (let i = 0; i < n; i++) data[i] = value()
  return data
}

/** A few MNIST-shaped batches: pixels in [0, 1), one-hot labels. Every step takes the next one. */
export const batches = (batch: number, dtype: DType, count = 4): Batch[] => {
  return Array.from({ length: count }, (_, b) => {
    const next = uniform(1000 + b)
    const x = filled(dtype, batch * D, next)
    const t = filled(dtype, batch * K, () => 0)
    for (let i = 0; i < batch; i++) t[i * K + Math.floor(next() * K)] = 1
    return { x, t }
  })
}

/** Initial parameters, small and deterministic, shared by every system. */
export const initialParams = (dtype: DType): Record<'W1' | 'b1' | 'W2' | 'b2', Float32Array | Float64Array> => {
  const next = uniform(7)
  const scaled = (n: number, fanIn: number): Float32Array | Float64Array => filled(dtype, n, () => (next() * 2 - 1) / Math.sqrt(fanIn))
  return { W1: scaled(H * D, D), b1: filled(dtype, H, () => 0), W2: scaled(K * H, H), b2: filled(dtype, K, () => 0) }
}

/** {@link initialParams} as tensors, by parameter name: the feeds that hand them to a backend. */
export const paramFeeds = (dtype: DType): Record<string, Tensor> => {
  const init = initialParams(dtype)
  return {
    W1: { shape: [H, D], dtype, data: init.W1 },
    b1: { shape: [H], dtype, data: init.b1 },
    W2: { shape: [K, H], dtype, data: init.W2 },
    b2: { shape: [K], dtype, data: init.b2 },
  }
}

/**
 * The training graph of this library: the network from `@backprop/nn`, its
 * gradients by symbolic differentiation, and the SGD update of every
 * parameter, `p - lr * dE/dp`, with `lr` fed as an input.
 */
export const trainingGraph = (batch: number, dtype: DType) => {
  const net = layered({ sizes, activations: ['relu', 'softmax'], loss: 'softmax-cross-entropy', reduction: 'mean', batch, dtype })
  if (E.isLeft(net)) throw new Error(net.left.message)
  const derived = networkGradients(net.right)
  if (E.isLeft(derived)) throw new Error(derived.left.message)
  const params = net.right.params.flatMap((p) => [p.W, p.b])
  const gradients = derived.right.gradients.flatMap((g) => [g.W, g.b])
  const { graph, result: updates } = buildOrThrow(derived.right.graph, (b) => {
    const rate = b.input('lr', [], dtype)
    return params.map((p, i) => b.sub(p, b.mul(rate, gradients[i]!)))
  })
  const names = net.right.paramNames
  return { graph, loss: net.right.loss, names, gradients, updates: names.map((param, i): ParamUpdate => ({ param, value: updates[i]! })) }
}

/** The parameters' shapes, by name. */
const shapes: Readonly<Record<string, readonly number[]>> = { W1: [H, D], b1: [H], W2: [K, H], b2: [K] }

/**
 * The SGD step computed by this library's reference interpreter in
 * float64 (no compiled or WebAssembly kernel involved): from `params`, on
 * batch `index` of {@link batches}, the loss and the new parameters. The
 * yardstick every timed training job is checked against.
 */
export const referenceStep = (batch: number): ((params: ParamValues, index: number) => StepResult) => {
  const { graph, loss, names, updates } = trainingGraph(batch, 'f64')
  const data = batches(batch, 'f64')
  return (params, index) => {
    const { x, t } = data[index % data.length]!
    const feeds: Record<string, Tensor> = {
      ...Object.fromEntries(names.map((name) => [name, tensor(Float64Array.from(params[name]!), shapes[name]!, 'f64')])),
      x: tensor(x, [batch, D], 'f64'),
      t: tensor(t, [batch, K], 'f64'),
      lr: tensor([lr], [], 'f64'),
    }
    const out = evaluate(graph, [loss, ...updates.map((u) => u.value)], feeds)
    if (E.isLeft(out)) throw new Error(out.left.message)
    return { loss: out.right[0]!.data[0]!, params: Object.fromEntries(names.map((name, i) => [name, out.right[i + 1]!.data])) }
  }
}

/** Compiles the step with in-place updates: the fast path a trainer can take. */
export const compileStep = (graph: Graph, loss: NodeId, updates: readonly ParamUpdate[], simd: boolean): CpuExecutable => {
  const compiled = cpuBackend({ simd }).compile(graph, [loss], { updates })
  if (E.isLeft(compiled)) throw new Error(compiled.left.message)
  return compiled.right
}

/** The arrays of some tensors, by name. */
const dataOf = (tensors: Readonly<Record<string, Tensor>>): ParamValues => Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.data]))

/** The parameters an executable compiled with updates holds. */
export const heldValues = (exe: Executable): ParamValues => {
  if (!isStateful(exe)) throw new Error('the executable does not hold its parameters')
  const read = exe.params.read()
  if (E.isLeft(read)) throw new Error(read.left.message)
  return dataOf(read.right)
}

const feedsOf = (data: Batch, dtype: DType, batch: number): Record<string, Tensor> => ({
  x: { shape: [batch, D], dtype, data: data.x },
  t: { shape: [batch, K], dtype, data: data.t },
})

/** This library: one compiled step that holds and updates the parameters itself; each step feeds the batch. */
export const backpropJob = (batch: number, dtype: DType, simd: boolean): TrainingJob => {
  const { graph, loss, updates } = trainingGraph(batch, dtype)
  const exe = compileStep(graph, loss, updates, simd)
  const data = batches(batch, dtype)
  const rate = tensor([lr], [], dtype)
  const params = paramFeeds(dtype)
  let step = 0
  return {
    params: () => (step === 0 ? dataOf(params) : heldValues(exe)),
    run: () => {
      const feeds = { ...feedsOf(data[step % data.length]!, dtype, batch), lr: rate, ...(step === 0 ? params : {}) }
      step++
      const out = exe.runSync(feeds)
      if (E.isLeft(out)) throw new Error(out.left.message)
      return out.right[0]!.data[0]
    },
  }
}

/**
 * This library the way the trainer runs a step on a backend that does not
 * hold parameters: the same step graph, its updates' values returned as
 * outputs, the parameters fed every step and replaced by those outputs.
 */
export const backpropFeedJob = (batch: number, dtype: DType): TrainingJob => {
  const { graph, loss, names, updates } = trainingGraph(batch, dtype)
  const compiled = cpuBackend({ simd: true }).compile(graph, [loss, ...updates.map((u) => u.value)])
  if (E.isLeft(compiled)) throw new Error(compiled.left.message)
  const exe = compiled.right
  const data = batches(batch, dtype)
  const rate = tensor([lr], [], dtype)
  let params: Record<string, Tensor> = paramFeeds(dtype)
  let step = 0
  return {
    params: () => dataOf(params),
    run: () => {
      const out = exe.runSync({ ...feedsOf(data[step++ % data.length]!, dtype, batch), lr: rate, ...params })
      if (E.isLeft(out)) throw new Error(out.left.message)
      const [l, ...next] = out.right
      params = Object.fromEntries(names.map((name, i) => [name, next[i]!]))
      return l!.data[0]
    },
  }
}

/** TensorFlow.js (float32 only): variables, `minimize` with its SGD optimiser, the batch uploaded each step. */
export const tfJob = (tf: Tf, backend: 'cpu' | 'wasm', batch: number): TrainingJob => {
  const init = initialParams('f32')
  const data = batches(batch, 'f32')
  let W1: ReturnType<Tf['variable']> | undefined
  let b1: typeof W1
  let W2: typeof W1
  let b2: typeof W1
  let opt: ReturnType<Tf['train']['sgd']> | undefined
  let step = 0
  const loss = (x: ReturnType<Tf['tensor2d']>, t: ReturnType<Tf['tensor2d']>) => () => {
    const h = tf.relu(tf.add(tf.matMul(x, W1!, false, true), b1!))
    const logits = tf.add(tf.matMul(h, W2!, false, true), b2!)
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(t, logits), 1))) as ReturnType<Tf['scalar']>
  }
  return {
    params: () => ({ W1: W1!.dataSync(), b1: b1!.dataSync(), W2: W2!.dataSync(), b2: b2!.dataSync() }),
    enter: async () => {
      await useTfBackend(tf, backend)
      if (opt) return
      await quietly(async () => {
        W1 = tf.variable(tf.tensor2d(init.W1 as Float32Array, [H, D]))
        b1 = tf.variable(tf.tensor1d(init.b1 as Float32Array))
        W2 = tf.variable(tf.tensor2d(init.W2 as Float32Array, [K, H]))
        b2 = tf.variable(tf.tensor1d(init.b2 as Float32Array))
        opt = tf.train.sgd(lr)
      })
    },
    run: () => {
      const { x, t } = data[step++ % data.length]!
      const xs = tf.tensor2d(x as Float32Array, [batch, D])
      const ts = tf.tensor2d(t as Float32Array, [batch, K])
      const cost = opt!.minimize(loss(xs, ts), true)!
      const value = cost.dataSync()[0]
      tf.dispose([cost, xs, ts])
      return value
    },
  }
}

/** jax-js: the whole step (loss, gradients, update) under `jit`, the batch uploaded each step. */
export const jaxJob = (jax: Jax, batch: number, dtype: DType): TrainingJob => {
  const { numpy: np, nn, jit, valueAndGrad, tree, blockUntilReady } = jax
  const jdtype = dtype === 'f32' ? np.float32 : np.float64
  const init = initialParams(dtype)
  type Params = { W1: InstanceType<Jax['Array']>; b1: InstanceType<Jax['Array']>; W2: InstanceType<Jax['Array']>; b2: InstanceType<Jax['Array']> }
  let params: Params = {
    W1: np.array(init.W1, { dtype: jdtype }).reshape([H, D]),
    b1: np.array(init.b1, { dtype: jdtype }),
    W2: np.array(init.W2, { dtype: jdtype }).reshape([K, H]),
    b2: np.array(init.b2, { dtype: jdtype }),
  }
  // jax-js moves ownership into every call: `.ref` keeps a value for a second use.
  const loss = (p: Params, x: InstanceType<Jax['Array']>, t: InstanceType<Jax['Array']>) => {
    const h = nn.relu(np.matmul(x, p.W1.transpose()).add(p.b1))
    const logits = np.matmul(h, p.W2.transpose()).add(p.b2)
    return nn.logsumexp(logits.ref, -1).sub(t.mul(logits).sum(-1)).mean()
  }
  const step = jit((p: Params, x: InstanceType<Jax['Array']>, t: InstanceType<Jax['Array']>) => {
    const [value, grads] = valueAndGrad(loss)(tree.ref(p), x, t)
    const next = tree.map((w: InstanceType<Jax['Array']>, g: InstanceType<Jax['Array']>) => w.sub(g.mul(lr)), p, grads)
    return [value, next] as const
  })
  const data = batches(batch, dtype)
  let n = 0
  return {
    params: async () => ({
      W1: await params.W1.ref.data(),
      b1: await params.b1.ref.data(),
      W2: await params.W2.ref.data(),
      b2: await params.b2.ref.data(),
    }),
    run: async () => {
      const { x, t } = data[n++ % data.length]!
      const xs = np.array(x, { dtype: jdtype }).reshape([batch, D])
      const ts = np.array(t, { dtype: jdtype }).reshape([batch, K])
      const [value, next] = step(params, xs, ts) as unknown as [InstanceType<Jax['Array']>, Params]
      params = next
      await blockUntilReady(params)
      return (await value.data())[0]
    },
  }
}
