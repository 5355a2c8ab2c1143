import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { build, buildOrThrow } from './builder.js'
import { emptyGraph, type Graph } from './graph.js'

const base = buildOrThrow(emptyGraph, (b) => ({ x: b.input('x', [3]), y: b.input('y', [3]), s: b.input('s') }))
const { x, y, s } = base.result

describe('build: hash-consing', () => {
  it('gives the same node for the same op, operands and attributes', () => {
    const { graph, result } = buildOrThrow(base.graph, (b) => [b.add(x, y), b.add(x, y), b.add(y, x), b.sum(x, [0]), b.sum(x, [0])])
    expect(result[0]).toBe(result[1])
    expect(result[2]).not.toBe(result[0]) // the builder does not reorder operands
    expect(result[3]).toBe(result[4])
    expect(graph.nodes.length).toBe(base.graph.nodes.length + 3)
  })

  it('gives one node however the op is asked for', () => {
    buildOrThrow(base.graph, (b) => {
      const id = b.mul(x, s)
      expect(b.binary('mul', x, s)).toBe(id)
      expect(b.apply('mul', [x, s])).toBe(id)
      expect(b.apply('mul', [x, s], {})).toBe(id)
      expect(b.apply('mul', [x, s], { keepdims: false })).toBe(id)
    })
  })

  it('tells constants apart by value, -0 included, and by dtype and shape', () => {
    buildOrThrow(emptyGraph, (b) => {
      const ids = [b.scalar(0), b.scalar(-0), b.scalar(0, 'f32'), b.scalar(0, 'f64', [2]), b.scalar(NaN)]
      expect(new Set(ids).size).toBe(5)
      expect(b.scalar(-0)).toBe(ids[1])
      expect(b.scalar(NaN)).toBe(ids[4])
      expect(b.apply('const', [], { value: 0, shape: [] })).toBe(ids[0])
    })
  })

  it('finds nodes of every earlier build, through many builds', () => {
    let graph: Graph = base.graph
    const ids: number[] = []
    for (let i = 0; i < 20; i++) {
      const built = buildOrThrow(graph, (b) => b.add(ids.length > 0 ? ids[ids.length - 1]! : x, y))
      graph = built.graph
      ids.push(built.result)
    }
    const again = buildOrThrow(graph, (b) => {
      let v = x
      for (let i = 0; i < 20; i++) v = b.add(v, y)
      return v
    })
    expect(again.graph).toBe(graph)
    expect(again.result).toBe(ids[19])
  })

  it('finds every node of a large build, interleaved with constants, after its table has grown', () => {
    // A chain of distinct nodes, with a new constant (not an operand-keyed node) every few.
    const recipe = (b: Parameters<Parameters<typeof buildOrThrow>[1]>[0]): number[] => {
      const ids: number[] = []
      let v = x
      for (let i = 0; i < 5000; i++) {
        v = i % 7 === 0 ? b.mul(v, b.scalar(i)) : i % 2 === 0 ? b.add(v, y) : b.sin(v)
        ids.push(v)
      }
      return ids
    }
    const first = buildOrThrow(base.graph, recipe)
    expect(new Set(first.result).size).toBe(5000)
    const again = buildOrThrow(first.graph, recipe)
    expect(again.graph).toBe(first.graph)
    expect(again.result).toEqual(first.result)
  })

  it('keeps builds from one base apart', () => {
    const one = buildOrThrow(base.graph, (b) => b.sin(x))
    const two = buildOrThrow(base.graph, (b) => b.cos(x))
    expect(one.result).toBe(two.result) // the same next id, different nodes
    const more = buildOrThrow(one.graph, (b) => b.cos(x))
    expect(more.result).toBe(one.graph.nodes.length)
    expect(more.graph.nodes[more.result]!.op).toBe('cos')
  })

  it('forgets the nodes of a build that failed', () => {
    expect(E.isLeft(build(base.graph, (b) => b.add(b.sin(x), b.input('z', [4]))))).toBe(true)
    const { graph, result } = buildOrThrow(base.graph, (b) => b.sin(x))
    expect(result).toBe(base.graph.nodes.length)
    expect(graph.nodes.length).toBe(base.graph.nodes.length + 1)
  })
})

describe('build: nodes', () => {
  it('share an operand shape array when the shape is theirs, and build one for a broadcast', () => {
    const { graph, result } = buildOrThrow(base.graph, (b) => {
      const m = b.input('m', [2, 3])
      return [b.exp(x), b.mul(x, y), b.mul(s, x), b.add(m, x)]
    })
    const shape = (id: number) => graph.nodes[id]!.shape
    expect(shape(result[0]!)).toBe(shape(x))
    expect(shape(result[1]!)).toBe(shape(x))
    expect(shape(result[2]!)).toBe(shape(x))
    expect(shape(result[3]!)).toEqual([2, 3])
  })

  it('are frozen, and the base graph is an untouched prefix', () => {
    const before = JSON.stringify(base.graph)
    const { graph } = buildOrThrow(base.graph, (b) => b.reshape(b.add(x, s), [1, 3]))
    expect(JSON.stringify(base.graph)).toBe(before)
    base.graph.nodes.forEach((n, id) => expect(graph.nodes[id]).toBe(n))
    expect(Object.isFrozen(graph)).toBe(true)
    expect(Object.isFrozen(graph.nodes)).toBe(true)
    for (const n of graph.nodes) {
      expect(Object.isFrozen(n) && Object.isFrozen(n.inputs) && Object.isFrozen(n.shape) && Object.isFrozen(n.attrs)).toBe(true)
    }
  })
})

describe('build: errors', () => {
  it.each([
    ['operands that do not broadcast', () => build(base.graph, (b) => b.add(x, b.input('m', [2]))), 'ShapeError'],
    ['mixed dtypes', () => build(base.graph, (b) => b.mul(x, b.input('h', [3], 'f32'))), 'DTypeError'],
    ['an input declared again with another shape', () => build(base.graph, (b) => b.input('x', [4])), 'ShapeError'],
    ['a wrong number of operands', () => build(base.graph, (b) => b.apply('sin', [x, y])), 'ShapeError'],
    ['an unknown node', () => build(base.graph, (b) => b.sin(99)), 'UnknownName'],
  ])('%s', (_name, attempt, tag) => {
    const r = attempt()
    expect(E.isLeft(r) && r.left._tag).toBe(tag)
  })
})
