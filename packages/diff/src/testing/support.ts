// Test helpers shared by this package's tests (not exported from index.ts).
import { tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import type { Graph, NodeId, Shape } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import type { Evaluate, Values } from '../gradcheck.js'

/** Evaluates `outputs` in float64 with the CPU backend, throwing on a backend error. */
export const evaluate64: Evaluate = (graph: Graph, outputs: readonly NodeId[], feeds: Values) => {
  const tensors = Object.fromEntries(
    Object.entries(feeds).map(([name, v]) => [name, tensor(Float64Array.from(v.data), v.shape, 'f64')]),
  )
  const result = evaluate(graph, outputs, tensors)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right.map((t) => t.data)
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
  data: Float64Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => lo + (hi - lo) * random()),
})
