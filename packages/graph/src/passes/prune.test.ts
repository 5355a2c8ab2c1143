import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { buildOrThrow } from '../builder.js'
import { emptyGraph } from '../graph.js'
import { prune } from './prune.js'
import { show } from './testing/helpers.js'

const sample = () =>
  buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x')
    const y = b.input('y')
    const unused = b.sin(y)
    const z = b.mul(x, b.scalar(2))
    const also = b.exp(unused)
    return { x, y, z, also }
  })

describe('prune', () => {
  it('keeps only the ancestors of the outputs, renumbered in order', () => {
    const { graph, result } = sample()
    const r = prune(graph, [result.z])
    expect(r.graph.nodes.map((n) => n.op)).toEqual(['input', 'const', 'mul'])
    expect(r.outputs).toEqual([2])
    expect(show(r.graph, r.outputs[0]!)).toBe('(x * 2)')
  })

  it('maps every output, duplicates and order included', () => {
    const { graph, result } = sample()
    const r = prune(graph, [result.also, result.x, result.also])
    expect(r.graph.nodes.map((n) => n.op)).toEqual(['input', 'input', 'sin', 'exp'])
    expect(r.outputs).toEqual([3, 0, 3])
  })

  it('leaves the input graph untouched', () => {
    const { graph, result } = sample()
    const before = [...graph.nodes]
    prune(graph, [result.z])
    expect(graph.nodes).toEqual(before)
    expect(graph.nodes.length).toBe(6)
  })

  it('returns the same graph when nothing can be dropped', () => {
    const { graph, result } = sample()
    const r = prune(graph, [result.z, result.also])
    expect(r.graph).toBe(graph)
    expect(r.outputs).toEqual([result.z, result.also])
  })

  it('gives an empty graph for no outputs', () => {
    const { graph } = sample()
    expect(prune(graph, []).graph.nodes).toEqual([])
  })

  it('has a data-last form for pipe, and takes a rooted graph', () => {
    const { graph, result } = sample()
    const r = pipe(graph, prune([result.z]), prune)
    expect(r.graph.nodes.length).toBe(3)
    expect(prune({ graph, outputs: [result.x] }).graph.nodes.length).toBe(1)
  })

  it('handles a deep chain without recursion', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      let y = b.input('x')
      for (let i = 0; i < 100_000; i++) {
        b.cos(y) // a dead branch at every step
        y = b.sin(y)
      }
      return y
    })
    const r = prune(graph, [result])
    expect(r.graph.nodes.length).toBe(100_001)
    expect(r.graph.nodes[r.outputs[0]!]!.op).toBe('sin')
  }, 60_000)
})
