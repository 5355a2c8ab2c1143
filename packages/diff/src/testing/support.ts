// Test helpers shared by this package's tests (not exported from index.ts).
import { tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import type { Graph, NodeId, Shape } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'

/** The values of `outputs` with the CPU backend, fed float64 copies of `feeds`, throwing on a backend error. */
export const evaluate64 = (
  graph: Graph,
  outputs: readonly NodeId[],
  feeds: Readonly<Record<string, { readonly shape: Shape; readonly data: ArrayLike<number> }>>,
): Float64Array[] => {
  const tensors = Object.fromEntries(Object.entries(feeds).map(([name, v]) => [name, tensor(v.data, v.shape, 'f64')]))
  const result = evaluate(graph, outputs, tensors)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right.map((t) => Float64Array.from(t.data))
}

/** A deterministic pseudo-random value in [lo, hi) for test points. */
export const pseudoRandom = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let r = Math.imul(s ^ (s >>> 15), 1 | s)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

/** A feed of the given shape with values drawn uniformly from [lo, hi). */
export const uniform = (random: () => number, shape: Shape, lo: number, hi: number) => ({
  shape,
  dtype: 'f64' as const,
  data: Float64Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => lo + (hi - lo) * random()),
})
