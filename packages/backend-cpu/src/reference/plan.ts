import { ancestors, type Graph, type NodeId, type OpName } from '@backprop/graph'
import type { Kernel, Step } from './kernel.js'

/**
 * How an executable computes its outputs, fixed at compile time. Values live
 * in slots numbered by schedule position; a slot is dropped right after its
 * last reader runs, so a run holds only the values still needed.
 *
 * @category Plan
 */
export interface Plan {
  /** The node computed at each position: the outputs' ancestors in id (topological) order. */
  readonly schedule: readonly NodeId[]
  /** The compiled step of each position. */
  readonly steps: readonly Step[]
  /** For each position, the slots of the node's operands. */
  readonly operands: readonly (readonly number[])[]
  /** For each position, the slots whose last reader it is (outputs never appear). */
  readonly release: readonly (readonly number[])[]
  /** For each position, whether the node is a leaf (its array is a feed's or a shared constant's). */
  readonly leaf: readonly boolean[]
  /** The slot of each requested output, in request order. */
  readonly outputs: readonly number[]
  /** The number of elements of each position's value, to check every step against. */
  readonly sizes: readonly number[]
}

/**
 * Compiles `outputs` of `graph` with `kernels`: schedules the outputs'
 * ancestors, specialises one step per node, and works out liveness. Expects
 * `outputs` to be valid node ids.
 *
 * @category Plan
 */
export const makePlan = (
  graph: Graph,
  outputs: readonly NodeId[],
  kernels: { readonly [K in OpName]: Kernel },
): Plan => {
  const schedule = ancestors(graph, outputs)
  const slotOf = new Map<NodeId, number>(schedule.map((id, slot) => [id, slot]))
  const slot = (id: NodeId): number => {
    const s = slotOf.get(id)
    if (s === undefined) throw new Error(`node #${id} is used but not scheduled`)
    return s
  }
  const operands = schedule.map((id) => graph.nodes[id]!.inputs.map(slot))
  const steps = schedule.map((id) => {
    const node = graph.nodes[id]!
    return kernels[node.op](node, node.inputs.map((i) => graph.nodes[i]!))
  })
  const outputSlots = outputs.map(slot)
  const kept = new Set(outputSlots)
  const lastUse = schedule.map(() => -1)
  operands.forEach((reads, position) => {
    for (const s of reads) lastUse[s] = position
  })
  const release: number[][] = schedule.map(() => [])
  lastUse.forEach((position, s) => {
    if (position >= 0 && !kept.has(s)) release[position]!.push(s)
  })
  return {
    schedule,
    steps,
    operands,
    release,
    leaf: schedule.map((id) => graph.nodes[id]!.inputs.length === 0),
    outputs: outputSlots,
    sizes: schedule.map((id) => graph.nodes[id]!.shape.reduce((n, d) => n * d, 1)),
  }
}
