import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { mlpStep } from '../../testing/mlp.js'
import { readsOf, writesOf } from './ir.js'
import { lower } from './lower.js'
import { layoutMemory, slack } from './memory.js'

const opsOf = (instr: ReturnType<typeof lower>['instrs'][number]): string => {
  const group = instr.kind === 'group' ? instr.group : instr.kind === 'matmul' ? instr.epilogue : undefined
  const exprs = group?.exprs.flatMap((e) => (e.kind === 'op' ? [e.op] : [])).join(',')
  return `${instr.kind}${exprs ? `(${exprs})` : ''}`
}

describe('lowering a training step', () => {
  const step = mlpStep(16, [20, 8, 4], 'f32')
  const updates = step.params.map((name, i) => ({ param: step.graph.nodes.findIndex((n) => n.attrs.name === name), value: step.updates[i]! }))
  const lowered = lower(step.graph, [step.loss], { updates })

  it('never copies a transpose: products read their operands transposed and write transposed results', () => {
    expect(lowered.instrs.filter((i) => i.kind === 'gather')).toEqual([])
    expect(lowered.instrs.filter((i) => i.kind === 'matmul')).toHaveLength(5)
  })

  it('fuses bias and activation, the relu mask, and every weight update into product epilogues', () => {
    const kinds = lowered.instrs.map(opsOf)
    // a1 = x W1^T + b1 (relu reads a1, and so does the mask, so a1 is stored)
    expect(kinds).toContain('matmul(add)')
    // g1 = (g2 W2) * (a1 > 0)
    expect(kinds).toContain('matmul(greater,mul)')
    // W <- W - lr * (g^T z), straight from the product, for both weights
    expect(kinds.filter((k) => k === 'matmul(mul,sub)')).toHaveLength(2)
  })

  it('computes every update in place in its parameter', () => {
    expect(lowered.aliases.size).toBe(4)
    expect(new Set(lowered.aliases.values())).toEqual(new Set(lowered.state.map((s) => s.storage)))
  })

  it('never lets two live buffers overlap', () => {
    const { offsets } = layoutMemory(lowered)
    const resolve = (s: number): number => lowered.aliases.get(s) ?? s
    const bytes = (s: number): number => lowered.storages[s]!.size * (lowered.storages[s]!.dtype === 'f32' ? 4 : 8)
    // Live ranges by instruction index, from the first write (feeds: start) to the last read (outputs: end).
    const first = new Map<number, number>()
    const last = new Map<number, number>()
    for (const f of lowered.feeds) first.set(f.storage, -1)
    lowered.instrs.forEach((instr, t) => {
      for (const s of writesOf(instr).map(resolve)) {
        if (!first.has(s)) first.set(s, t)
        last.set(s, Math.max(last.get(s) ?? t, t))
      }
      for (const s of readsOf(instr).map(resolve)) last.set(s, Math.max(last.get(s) ?? -1, t))
    })
    for (const v of lowered.outputs) last.set(resolve(v.storage), lowered.instrs.length)
    const permanent = (s: number): boolean => ['const', 'state'].includes(lowered.storages[s]!.role)
    const live = lowered.storages.map((s) => s.id).filter((s) => !lowered.aliases.has(s) && (permanent(s) || first.has(s)))
    for (const a of live) {
      for (const b of live) {
        if (a >= b || bytes(a) === 0 || bytes(b) === 0) continue
        const overlapInTime =
          permanent(a) || permanent(b) || (first.get(a)! <= last.get(b)! && first.get(b)! <= last.get(a)!)
        const overlapInMemory = offsets[a]! < offsets[b]! + bytes(b) && offsets[b]! < offsets[a]! + bytes(a)
        expect(overlapInTime && overlapInMemory, `storages ${a} and ${b}`).toBe(false)
      }
    }
  })

  it('reuses memory: a long chain needs a few buffers, not one per node', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      let v = b.input('x', [1000], 'f64')
      // Each step: a loop (tanh) and a reduction, so nothing fuses across steps.
      for (let i = 0; i < 50; i++) v = b.sum(b.broadcast(b.tanh(v), [2, 1000]), [0])
      return v
    })
    const chain = lower(graph, [result], { fuse: false })
    const { bytes } = layoutMemory(chain)
    // 101 buffers of 1000 f64 values would take 808 kB without reuse; a few suffice.
    expect(bytes).toBeLessThanOrEqual(4 * 1000 * 8 + slack)
  })
})
