import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { kernels } from './kernels/table.js'
import { makePlan, type Plan } from './plan.js'

/** The most values a run of `plan` holds at once, replaying its releases. */
const peakLive = (plan: Plan): number => {
  let live = 0
  let peak = 0
  plan.steps.forEach((_, position) => {
    live += 1
    peak = Math.max(peak, live)
    live -= plan.release[position]!.length
  })
  return peak
}

describe('makePlan', () => {
  it('schedules only the ancestors of the outputs, in id order', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [2])
      const unused = b.log(b.input('u', [2]))
      const y = b.exp(b.sin(x))
      return { x, unused, y }
    })
    const plan = makePlan(graph, [result.y], kernels)
    expect(plan.schedule.map((id) => graph.nodes[id]!.op)).toEqual(['input', 'sin', 'exp'])
    expect(plan.schedule).toEqual([...plan.schedule].sort((a, b) => a - b))
    expect(plan.outputs).toEqual([2])
    expect(plan.leaf).toEqual([true, false, false])
  })

  it('releases each value after its last reader and never releases an output', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [2])
      const s = b.sin(x)
      const c = b.cos(x)
      return [b.mul(s, c), s]
    })
    const plan = makePlan(graph, result, kernels)
    const slot = (id: number) => plan.schedule.indexOf(id)
    const released = plan.release.flat()
    expect(new Set(released).size).toBe(released.length)
    expect(released).not.toContain(slot(result[0]!))
    expect(released).not.toContain(slot(result[1]!))
    // x is last read by cos, cos by mul.
    const x = slot(graph.nodes[result[1]!]!.inputs[0]!)
    const cos = slot(graph.nodes[result[0]!]!.inputs[1]!)
    expect(plan.release[cos]).toContain(x)
    expect(plan.release[slot(result[0]!)]).toContain(cos)
  })

  it('keeps memory bounded along a long chain', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      let v = b.input('x', [1000])
      for (let i = 0; i < 200; i++) v = b.add(b.tanh(v), b.scalar(i))
      return v
    })
    const plan = makePlan(graph, [result], kernels)
    expect(plan.steps.length).toBe(601)
    expect(peakLive(plan)).toBeLessThanOrEqual(3)
  })
})
