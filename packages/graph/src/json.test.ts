import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildOrThrow } from './builder.js'
import type { GraphError } from './errors.js'
import { emptyGraph, type Graph } from './graph.js'
import { fromJson, toJson } from './json.js'
import { arbitraryScalarGraph } from './testing/arbitrary.js'

const roundTrip = (graph: Graph, outputs: number[]) => {
  const r = fromJson(JSON.parse(JSON.stringify(toJson(graph, outputs))))
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

// A graph that uses every kind of attribute, special constants and both dtypes.
const tensorGraph = buildOrThrow(emptyGraph, (b) => {
  const x = b.input('x', [2, 3])
  const w = b.param('w', [3, 2])
  const c = b.constant([1, -0, NaN, Infinity, -Infinity, 0.1], [2, 3])
  const h = b.softmax(b.add(b.matmul(b.mul(x, c), w), b.scalar(-0, 'f64', [2, 2])), 0)
  const t = b.transpose(b.reshape(h, [4, 1]))
  const s = b.sum(b.broadcast(t, [3, 4]), [1], true)
  const m = b.reduceMax(b.logSoftmax(s, 0), [0])
  const l = b.logSumExp(b.where(b.greater(x, b.scalar(0)), x, b.sign(x)), 1, true)
  const f = b.mul(b.input('f', [], 'f32'), b.scalar(NaN, 'f32'))
  return [b.add(b.sum(m), b.sum(l)), f]
})

describe('toJson', () => {
  it('writes the format, every node with its attributes, and the outputs', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.sum(b.mul(b.input('x', [2]), b.scalar(-0)), [0]))
    expect(toJson(graph, [result])).toEqual({
      format: 'backprop-graph',
      version: 1,
      nodes: [
        { id: 0, op: 'input', inputs: [], dtype: 'f64', shape: [2], name: 'x' },
        { id: 1, op: 'const', inputs: [], dtype: 'f64', shape: [], value: '-0' },
        { id: 2, op: 'mul', inputs: [0, 1], dtype: 'f64', shape: [2] },
        { id: 3, op: 'sum', inputs: [2], dtype: 'f64', shape: [], axes: [0], keepdims: false },
      ],
      outputs: [3],
    })
  })

  it('takes the nodes nothing uses as outputs by default', () => {
    const { graph } = buildOrThrow(emptyGraph, (b) => [b.sin(b.input('x')), b.cos(b.input('y'))])
    expect(toJson(graph).outputs).toEqual([1, 3])
  })
})

describe('fromJson: round trips', () => {
  it('gives back the identical node list for a graph with every attribute kind', () => {
    const back = roundTrip(tensorGraph.graph, [...tensorGraph.result])
    // toEqual compares numbers with Object.is: -0, NaN and the infinities must survive exactly.
    expect(back.graph.nodes).toEqual(tensorGraph.graph.nodes)
    expect(back.outputs).toEqual(tensorGraph.result)
  })

  it('reads JSON text as well as parsed values', () => {
    const text = JSON.stringify(toJson(tensorGraph.graph, [...tensorGraph.result]))
    const r = fromJson(text)
    expect(E.isRight(r) && r.right.graph.nodes.length).toBe(tensorGraph.graph.nodes.length)
  })

  it('gives back the identical node list for random scalar graphs', () => {
    fc.assert(
      fc.property(arbitraryScalarGraph({ dialect: 'full' }), ({ graph, output }) => {
        const back = roundTrip(graph, [output])
        expect(back.graph.nodes).toEqual(graph.nodes)
        expect(back.outputs).toEqual([output])
      }),
      { numRuns: 200 },
    )
  })

  it('merges nodes listed twice and maps later ids and outputs', () => {
    const r = fromJson({
      format: 'backprop-graph',
      version: 1,
      nodes: [
        { id: 0, op: 'input', inputs: [], dtype: 'f64', shape: [], name: 'x' },
        { id: 1, op: 'input', inputs: [], dtype: 'f64', shape: [], name: 'x' },
        { id: 2, op: 'add', inputs: [0, 1], dtype: 'f64', shape: [] },
        { id: 3, op: 'add', inputs: [1, 0], dtype: 'f64', shape: [] },
      ],
      outputs: [3, 1],
    })
    if (E.isLeft(r)) throw new Error(r.left.message)
    expect(r.right.graph.nodes.map((n) => [n.op, n.inputs])).toEqual([
      ['input', []],
      ['add', [0, 0]],
    ])
    expect(r.right.outputs).toEqual([1, 0])
  })

  it('reads an empty graph', () => {
    const r = fromJson({ format: 'backprop-graph', version: 1, nodes: [], outputs: [] })
    expect(E.isRight(r) && r.right.graph.nodes.length).toBe(0)
  })
})

describe('fromJson: validation', () => {
  type Doc = { [k: string]: any }
  const valid = (): Doc => ({
    format: 'backprop-graph',
    version: 1,
    nodes: [
      { id: 0, op: 'input', inputs: [], dtype: 'f64', shape: [2], name: 'x' },
      { id: 1, op: 'const', inputs: [], dtype: 'f64', shape: [], value: 2 },
      { id: 2, op: 'mul', inputs: [0, 1], dtype: 'f64', shape: [2] },
      { id: 3, op: 'sum', inputs: [2], dtype: 'f64', shape: [], axes: [0], keepdims: false },
    ],
    outputs: [3],
  })

  it('accepts the unmodified document', () => {
    expect(E.isRight(fromJson(valid()))).toBe(true)
  })

  const cases: [string, (d: Doc) => unknown, string][] = [
    ['the document is not an object', () => [], 'expected a graph object, got []'],
    ['wrong format', (d) => ({ ...d, format: 'graph' }), 'format: expected "backprop-graph", got "graph"'],
    ['wrong version', (d) => ({ ...d, version: 2 }), 'version: expected 1, got 2'],
    ['nodes missing', ({ nodes: _, ...d }) => d, 'nodes: missing; expected an array of nodes'],
    ['nodes not an array', (d) => ({ ...d, nodes: {} }), 'nodes: expected an array of nodes, got {}'],
    ['node not an object', (d) => ((d.nodes[1] = 5), d), 'nodes[1]: expected an object, got 5'],
    ['id not the index', (d) => ((d.nodes[2].id = 7), d), "nodes[2].id: expected 2 (the node's index), got 7"],
    ['unknown op', (d) => ((d.nodes[2].op = 'times'), d), 'nodes[2].op: expected an op name, got "times"'],
    ['op inherited from Object', (d) => ((d.nodes[2].op = 'toString'), d), 'nodes[2].op: expected an op name, got "toString"'],
    ['inputs not an array', (d) => ((d.nodes[2].inputs = '0,1'), d), 'nodes[2].inputs: expected an array of node ids, got "0,1"'],
    ['input not an id', (d) => ((d.nodes[2].inputs = [0, 1.5]), d), 'nodes[2].inputs[1]: expected a node id, got 1.5'],
    ['input from a later node', (d) => ((d.nodes[2].inputs = [0, 3]), d),
      'nodes[2].inputs[1]: refers to node 3, which does not come before node 2'],
    ['input from the node itself', (d) => ((d.nodes[2].inputs = [2, 1]), d),
      'nodes[2].inputs[0]: refers to node 2, which does not come before node 2'],
    ['wrong number of inputs', (d) => ((d.nodes[2].inputs = [0]), d), 'nodes[2].inputs: mul takes 2 input(s), got 1'],
    ['unknown dtype', (d) => ((d.nodes[2].dtype = 'f16'), d), 'nodes[2].dtype: expected "f32" or "f64", got "f16"'],
    ['shape not an array', (d) => ((d.nodes[0].shape = 2), d), 'nodes[0].shape: expected an array of integers, got 2'],
    ['negative extent', (d) => ((d.nodes[0].shape = [2, -1]), d), 'nodes[0].shape[1]: expected a non-negative integer, got -1'],
    ['name not a string', (d) => ((d.nodes[0].name = 3), d), 'nodes[0].name: expected a non-empty string, got 3'],
    ['name missing', (d) => (delete d.nodes[0].name, d), 'nodes[0]: input: needs a name'],
    ['value not a number', (d) => ((d.nodes[1].value = 'two'), d),
      'nodes[1].value: expected a number or one of "NaN", "Infinity", "-Infinity", "-0", got "two"'],
    ['value missing', (d) => (delete d.nodes[1].value, d), 'nodes[1]: const: a constant needs a value'],
    ['values not numbers', (d) => (delete d.nodes[1].value, (d.nodes[1].values = [null]), d),
      'nodes[1].values[0]: expected a number or one of "NaN", "Infinity", "-Infinity", "-0", got null'],
    ['values do not fill the shape', (d) => (delete d.nodes[1].value, (d.nodes[1].values = [1, 2]), d),
      'nodes[1]: const: 2 values do not fill shape []'],
    ['axes not integers', (d) => ((d.nodes[3].axes = [0.5]), d), 'nodes[3].axes[0]: expected an integer, got 0.5'],
    ['keepdims not a boolean', (d) => ((d.nodes[3].keepdims = 'no'), d), 'nodes[3].keepdims: expected true or false, got "no"'],
    ['axis not an integer', (d) => ((d.nodes[3] = { id: 3, op: 'softmax', inputs: [2], dtype: 'f64', shape: [2], axis: 'last' }), d),
      'nodes[3].axis: expected an integer, got "last"'],
    ['perm not an array', (d) => ((d.nodes[3] = { id: 3, op: 'transpose', inputs: [2], dtype: 'f64', shape: [2], perm: 0 }), d),
      'nodes[3].perm: expected an array of integers, got 0'],
    ['attribute the op does not have', (d) => ((d.nodes[2].axis = 0), d), "nodes[2].axis: mul has no attribute 'axis'"],
    ['op rejects its attributes', (d) => ((d.nodes[3].axes = [1]), d), 'nodes[3]: sum: axes [1] invalid for rank 1'],
    ['operands of different dtypes', (d) => ((d.nodes[1].dtype = 'f32'), d),
      'nodes[2]: mul: operands have dtypes f64 and f32; cast one so they agree'],
    ['declared shape differs', (d) => ((d.nodes[2].shape = [3]), d), 'nodes[2].shape: declared [3], but mul gives [2]'],
    ['declared dtype differs', (d) => ((d.nodes[3].dtype = 'f32'), d), 'nodes[3].dtype: declared f32, but sum gives f64'],
    ['a name declared twice differently', (d) => ((d.nodes[1] = { id: 1, op: 'input', inputs: [], dtype: 'f64', shape: [], name: 'x' }), d),
      "nodes[1]: input 'x' is declared as [2] f64 and again as [] f64"],
    ['outputs missing', ({ outputs: _, ...d }) => d, 'outputs: missing; expected an array of node ids'],
    ['output not an id', (d) => ({ ...d, outputs: ['a'] }), 'outputs[0]: expected a node id, got "a"'],
    ['output out of range', (d) => ({ ...d, outputs: [3, 9] }), 'outputs[1]: refers to node 9, but there are 4 nodes'],
  ]

  it.each(cases)('%s', (_name, mutate, message) => {
    const r = fromJson(mutate(valid()))
    expect(E.isLeft(r)).toBe(true)
    const error = (r as E.Left<GraphError>).left
    expect(error).toEqual({ _tag: 'InvalidGraph', path: message.includes(':') ? message.slice(0, message.indexOf(':')) : '', message })
  })

  it('reports malformed JSON text with JSON.parse’s message and the position', () => {
    const text = '{"format": "backprop-graph",\n "nodes": [1 2]}'
    let reason = ''
    try {
      JSON.parse(text)
    } catch (e) {
      reason = (e as Error).message
    }
    const r = fromJson(text)
    expect(E.isLeft(r) && r.left).toMatchObject({ _tag: 'InvalidGraph', path: '' })
    const message = (r as E.Left<GraphError>).left.message
    expect(message.startsWith(`invalid JSON: ${reason}`)).toBe(true)
    if (/at position \d+/.test(reason)) expect(message).toMatch(/\(line 2, column 14\)$/)
  })
})
