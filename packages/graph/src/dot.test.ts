import { describe, expect, it } from 'vitest'
import { buildOrThrow } from './builder.js'
import { toDot } from './dot.js'
import { ancestors, emptyGraph } from './graph.js'

// The lecture's regression example: E = 1/2 (w^T x - t)^2, then a hand-made
// derivative part appended to it, standing in for what `grad` produces.
const forward = buildOrThrow(emptyGraph, (b) => {
  const w = b.input('w', [3, 1])
  const x = b.input('x', [3, 1])
  const z = b.matmul(b.transpose(w), x)
  const u = b.sub(z, b.input('t', [1, 1]))
  return { x, u, e: b.mul(b.scalar(0.5), b.sum(b.square(u))) }
})
const extended = buildOrThrow(forward.graph, (b) => {
  const dz = forward.result.u // dE/dz = u
  return b.mul(forward.result.x, dz) // dE/dw = x * dE/dz (broadcast)
})
const { e } = forward.result
const dw = extended.result
const from = forward.graph.nodes.length

const vertexLines = (dot: string): string[] => dot.split('\n').filter((l) => /^\s*n\d+ \[/.test(l))
const edgeLines = (dot: string): string[] => dot.split('\n').filter((l) => /^\s*n\d+ -> n\d+;$/.test(l))

describe('toDot', () => {
  const dot = toDot(extended.graph, [e, dw], { derivativeFrom: from, labels: { [e]: 'E', [dw]: '∂E/∂w' } })
  const ids = ancestors(extended.graph, [e, dw])

  it('draws one vertex per ancestor of the outputs and one edge per operand', () => {
    expect(dot.startsWith('digraph backprop {\n')).toBe(true)
    expect(dot.trimEnd().endsWith('}')).toBe(true)
    expect(vertexLines(dot)).toHaveLength(ids.length)
    const operands = ids.reduce((n, id) => n + extended.graph.nodes[id]!.inputs.length, 0)
    expect(edgeLines(dot)).toHaveLength(operands)
    expect(dot).toContain(`n${forward.result.x} -> n${dw};`)
    expect(dot).toContain(`n${forward.result.u} -> n${dw};`)
  })

  it('leaves out nodes the outputs do not need', () => {
    const only = toDot(extended.graph, [forward.result.u])
    expect(vertexLines(only)).toHaveLength(ancestors(extended.graph, [forward.result.u]).length)
    expect(only).not.toContain(`n${e} `)
  })

  it('sets the derivative part apart from the forward graph', () => {
    const forwardCount = ids.filter((id) => id < from).length
    expect(vertexLines(dot).filter((l) => l.includes('shape=ellipse'))).toHaveLength(forwardCount)
    expect(vertexLines(dot).filter((l) => l.includes('shape=box'))).toHaveLength(ids.length - forwardCount)
    const cluster = dot.slice(dot.indexOf('subgraph cluster_derivative {'), dot.indexOf('  }'))
    expect(cluster).toContain('label="computation of the derivative"')
    expect(vertexLines(cluster).map((l) => l.trim().split(' ')[0])).toEqual([`n${dw}`])
  })

  it('emphasises and labels the outputs', () => {
    const emphasised = vertexLines(dot).filter((l) => l.includes('peripheries=2'))
    expect(emphasised.map((l) => l.trim().split(' ')[0])).toEqual([`n${e}`, `n${dw}`])
    expect(dot).toContain(`n${dw} [label="∂E/∂w\\n×\\n[3,1]"`)
    expect(dot).toContain(`n${e} [label="E\\n×"`)
  })

  it('shows notes under the op, after the shape', () => {
    const noted = toDot(extended.graph, [e, dw], { derivativeFrom: from, labels: { [e]: 'E' }, notes: new Map([[e, ['= 0.5', '∂E/∂v = 1']]]) })
    expect(noted).toContain(`n${e} [label="E\\n×\\n= 0.5\\n∂E/∂v = 1"`)
  })

  it('labels ops by symbol, leaves by name or value, and shows non-scalar shapes', () => {
    expect(dot).toContain('[label="w\\n[3,1]"')
    expect(dot).toContain('[label="0.5"')
    expect(dot).toContain('[label="matmul\\n[1,1]"')
    expect(dot).toContain('[label="Σ axes=[0,1]"')
    expect(dot).toContain('[label="transpose\\n[1,3]"')
  })

  it('draws everything as forward when no derivative part is given, with a title', () => {
    const plain = toDot(forward.graph, [e], { title: 'E = ½(wᵀx − t)²', rankdir: 'LR' })
    expect(plain).not.toContain('cluster_derivative')
    expect(plain).not.toContain('shape=box')
    expect(plain).toContain('rankdir=LR;')
    expect(plain).toContain('label="E = ½(wᵀx − t)²";')
  })

  it('escapes quotes, backslashes and line breaks in labels and names', () => {
    const g = buildOrThrow(emptyGraph, (b) => b.neg(b.input('a"b\\c')))
    const out = toDot(g.graph, [g.result], { labels: new Map([[g.result, 'say "hi"\nnow']]), title: 'C:\\x' })
    expect(out).toContain('n0 [label="a\\"b\\\\c"')
    expect(out).toContain('n1 [label="say \\"hi\\"\\nnow\\nneg"')
    expect(out).toContain('label="C:\\\\x";')
    // Every quoted string closes on its own line: no raw line break or stray quote inside one.
    for (const line of out.split('\n')) expect((line.replace(/\\\\|\\"/g, '').match(/"/g) ?? []).length % 2).toBe(0)
  })
})
