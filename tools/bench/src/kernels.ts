import * as E from 'fp-ts/lib/Either.js'
import { type Tensor, tensor } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import { ortBackend } from '@backprop/backend-ort'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { type Jax, quietly, type Tf, useTfBackend } from './peers.js'
import type { Job } from './timing.js'

const random = (n: number, seed: number): Float32Array => {
  let s = seed >>> 0
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  })
}

/**
 * Jobs of one system each, on the same inputs; every run returns its result
 * read back into JavaScript, for checking after the timing.
 */
export interface KernelJobs {
  backprop(simd: boolean): Job
  tf(tf: Tf, backend: 'cpu' | 'wasm'): Job
  jax(jax: Jax): Job
}

/** A float32 n x n product C = op(A) op(B), read back into JavaScript; each system keeps A and B as it would. */
export interface MatmulJobs extends KernelJobs {
  /** The factors op(A) and op(B), row-major n x n. */
  readonly a: Float32Array
  readonly b: Float32Array
  /** The product on ONNX Runtime with `threads` intra-op threads (A and B fed each run, as ours). */
  ort(threads: number): Job
}

/**
 * Which factor is stored transposed: `NN` none, `TN` A (C = A^T B, as a
 * weight gradient dE/dW = delta^T x), `NT` B (C = A B^T, as a layer's
 * forward product x W^T).
 */
export type Transposition = 'NN' | 'TN' | 'NT'

/** sigmoid(x * w + b) on float32 vectors, read back into JavaScript. */
export interface ElementwiseJobs extends KernelJobs {
  /** The value the jobs compute at entry `i`, in float64. */
  readonly expected: (i: number) => number
}

const dataOf = (out: E.Either<{ readonly message: string }, readonly Tensor[]>): Tensor['data'] => {
  if (E.isLeft(out)) throw new Error(out.left.message)
  return out.right[0]!.data
}

/** The transpose of a row-major n x n matrix. */
const transposed = (m: Float32Array, n: number): Float32Array => Float32Array.from({ length: n * n }, (_, i) => m[(i % n) * n + Math.floor(i / n)]!)

/** Jobs computing one n x n float32 matrix product per run, with the factors stored as `layout` says. */
export const matmulJobs = (n: number, layout: Transposition = 'NN'): MatmulJobs => {
  const a = random(n * n, 1)
  const b = random(n * n, 2)
  const [tA, tB] = [layout === 'TN', layout === 'NT']
  // What each system is given: the factors as stored.
  const aStored = tA ? transposed(a, n) : a
  const bStored = tB ? transposed(b, n) : b
  const { graph, result } = buildOrThrow(emptyGraph, (g) => {
    const [x, y] = [g.input('a', [n, n], 'f32'), g.input('b', [n, n], 'f32')]
    return g.matmul(tA ? g.transpose(x) : x, tB ? g.transpose(y) : y)
  })
  const feeds = { a: tensor(aStored, [n, n], 'f32'), b: tensor(bStored, [n, n], 'f32') }
  return {
    a,
    b,
    backprop: (simd) => {
      const compiled = cpuBackend({ simd }).compile(graph, [result])
      if (E.isLeft(compiled)) throw new Error(compiled.left.message)
      return { run: () => dataOf(compiled.right.runSync(feeds)) }
    },
    ort: (threads) => {
      const compiled = ortBackend({ threads }).compile(graph, [result])
      if (E.isLeft(compiled)) throw new Error(compiled.left.message)
      return { run: async () => dataOf(await compiled.right.run(feeds)), dispose: () => compiled.right.dispose() }
    },
    tf: (tf, backend) => {
      let A: ReturnType<Tf['tensor2d']> | undefined
      let B: typeof A
      return {
        enter: async () => {
          await useTfBackend(tf, backend)
          await quietly(async () => {
            A ??= tf.tensor2d(aStored, [n, n])
            B ??= tf.tensor2d(bStored, [n, n])
          })
        },
        run: () => {
          const c = tf.matMul(A!, B!, tA, tB)
          const data = c.dataSync()
          c.dispose()
          return data
        },
      }
    },
    jax: (jax) => {
      const A = jax.numpy.array(aStored).reshape([n, n])
      const B = jax.numpy.array(bStored).reshape([n, n])
      return { run: async () => jax.numpy.matmul(tA ? A.ref.transpose() : A.ref, tB ? B.ref.transpose() : B.ref).data() }
    },
  }
}

/** Jobs computing sigmoid(x * w + b) elementwise on `size` float32 values per run. */
export const elementwiseJobs = (size: number): ElementwiseJobs => {
  const x = random(size, 3)
  const w = random(size, 4)
  const bias = random(size, 5)
  return {
    expected: (i) => 1 / (1 + Math.exp(-(x[i]! * w[i]! + bias[i]!))),
    backprop: (simd) => {
      const { graph, result } = buildOrThrow(emptyGraph, (g) =>
        g.sigmoid(g.add(g.mul(g.input('x', [size], 'f32'), g.input('w', [size], 'f32')), g.input('b', [size], 'f32'))),
      )
      const compiled = cpuBackend({ simd }).compile(graph, [result])
      if (E.isLeft(compiled)) throw new Error(compiled.left.message)
      const feeds: Record<string, Tensor> = { x: tensor(x, [size], 'f32'), w: tensor(w, [size], 'f32'), b: tensor(bias, [size], 'f32') }
      return { run: () => dataOf(compiled.right.runSync(feeds)) }
    },
    tf: (tf, backend) => {
      let X: ReturnType<Tf['tensor1d']> | undefined
      let W: typeof X
      let B: typeof X
      return {
        enter: async () => {
          await useTfBackend(tf, backend)
          await quietly(async () => {
            X ??= tf.tensor1d(x)
            W ??= tf.tensor1d(w)
            B ??= tf.tensor1d(bias)
          })
        },
        run: () => {
          const y = tf.tidy(() => tf.sigmoid(tf.add(tf.mul(X!, W!), B!)))
          const data = y.dataSync()
          y.dispose()
          return data
        },
      }
    },
    jax: (jax) => {
      const { numpy: np, nn, jit } = jax
      const X = np.array(x)
      const W = np.array(w)
      const B = np.array(bias)
      const f = jit((p: InstanceType<Jax['Array']>, q: InstanceType<Jax['Array']>, r: InstanceType<Jax['Array']>) => nn.sigmoid(p.mul(q).add(r)))
      return { run: async () => f(X.ref, W.ref, B.ref).data() }
    },
  }
}
