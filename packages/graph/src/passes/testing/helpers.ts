// Test support, not part of the package's API: a compact, fully parenthesised
// rendering of an expression, so that tests can state expected results as text.
import { buildOrThrow, type Builder } from '../../builder.js'
import { emptyGraph, type Graph, type Node, type NodeId } from '../../graph.js'
import { ops } from '../../ops.js'
import type { Rooted } from '../pass.js'
import { simplify } from '../simplify.js'

const infix: Partial<Record<Node['op'], string>> = { add: '+', sub: '-', mul: '*', div: '/', pow: '^' }

const constText = (n: Node): string => {
  const body = n.attrs.values !== undefined ? `[${n.attrs.values.join(',')}]` : String(n.attrs.value)
  return n.shape.length === 0 ? body : `${body}:[${n.shape.join(',')}]`
}

const attrText = (n: Node): string => {
  const parts: string[] = []
  if (n.op === 'transpose') parts.push(`perm=${n.attrs.perm!.join(',')}`)
  if (n.op === 'reshape' || n.op === 'broadcast') parts.push(`shape=${n.shape.join(',')}`)
  if (n.attrs.axes !== undefined) parts.push(`axes=${n.attrs.axes.join(',')}`)
  if (n.attrs.axis !== undefined) parts.push(`axis=${n.attrs.axis}`)
  if (n.attrs.keepdims) parts.push('keepdims')
  return parts.map((p) => `; ${p}`).join('')
}

/** The expression computing node `id` of `graph`, e.g. `(2 * x)`. @internal */
export const show = (graph: Graph, id: NodeId): string => {
  const n = graph.nodes[id]!
  const args = n.inputs.map((i) => show(graph, i))
  if (n.op === 'input' || n.op === 'param') return n.attrs.name!
  if (n.op === 'const') return constText(n)
  if (n.op === 'neg') return `-${args[0]}`
  const symbol = infix[n.op]
  if (symbol !== undefined) return `(${args[0]} ${symbol} ${args[1]})`
  return `${n.op}(${args.join(', ')}${attrText(n)})`
}

/** The first output of a pass result, shown. @internal */
export const showOutput = (r: Rooted, k = 0): string => show(r.graph, r.outputs[k]!)

/**
 * Values of every node of a graph of scalars, from the op table's `fn`, with
 * inputs and parameters taken from `env`. @internal
 */
export const evaluate = (graph: Graph, env: Readonly<Record<string, number>>): Float64Array => {
  const values = new Float64Array(graph.nodes.length)
  graph.nodes.forEach((n, id) => {
    if (n.op === 'input' || n.op === 'param') values[id] = env[n.attrs.name!]!
    else if (n.op === 'const') values[id] = n.attrs.value ?? n.attrs.values![0]!
    else values[id] = ops[n.op].fn!(...n.inputs.map((i) => values[i]!))
  })
  return values
}

/** The scalar inputs x, y, z (declared in that order) and a constant maker, for rule tests. */
export interface Vars {
  readonly x: NodeId
  readonly y: NodeId
  readonly z: NodeId
  readonly c: (v: number) => NodeId
}

/** Simplifies what `recipe` builds over x, y, z and shows each output, joined by ' ; '. */
export const simplified = (recipe: (b: Builder, v: Vars) => NodeId | readonly NodeId[]): string => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const [x, y, z] = [b.input('x'), b.input('y'), b.input('z')]
    const r = recipe(b, { x, y, z, c: (v) => b.scalar(v) })
    return typeof r === 'number' ? [r] : r
  })
  const s = simplify(graph, result)
  return s.outputs.map((_, k) => showOutput(s, k)).join(' ; ')
}
