// Test helpers: run graphs on the CPU backend, and seeded test data.
import type { Feeds, Tensor } from '@backprop/backend'
import { evaluate } from '@backprop/backend-cpu'
import type { Graph, NodeId } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import type { HostTensor } from '../values.js'

/** An f64 backend tensor holding a copy of `values`. */
export const f64 = ({ shape, data }: HostTensor): Tensor => ({ shape: [...shape], dtype: 'f64', data: Float64Array.from(data) })

/** Evaluates `outputs` of `graph` on the CPU backend, failing the test on an error. */
export const run = (graph: Graph, outputs: readonly NodeId[], feeds: Feeds): Tensor[] => {
  const result = evaluate(graph, outputs, feeds)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

/** A seeded stream of uniform numbers in [lo, hi), for test data (a 32-bit LCG; quality is not a concern here). */
export const numbers = (seed: number) => {
  let state = seed >>> 0
  return (lo: number, hi: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return lo + ((hi - lo) * state) / 4294967296
  }
}
