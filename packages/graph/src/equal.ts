import type { Attrs, Graph, Node, NodeId } from './graph.js'

// Object.is, so that -0 and 0 differ (they are different constants) and NaN equals NaN.
const sameValue = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b)
    ? a.length === b.length && a.every((x, i) => Object.is(x, b[i]))
    : Object.is(a, b)

const sameAttrs = (a: Attrs, b: Attrs): boolean => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof Attrs)[])
  return [...keys].every((k) => sameValue(a[k], b[k]))
}

const sameNode = (a: Node, b: Node): boolean =>
  a.op === b.op &&
  a.dtype === b.dtype &&
  a.inputs.length === b.inputs.length &&
  sameValue(a.shape, b.shape) &&
  sameAttrs(a.attrs, b.attrs)

/**
 * True when node `o1` of `g1` and node `o2` of `g2` compute the same
 * expression: the same op, dtype, shape and attributes, with operands that
 * are again the same expressions, in order. Node ids and the sharing of
 * subexpressions may differ; constants compare with `Object.is` (so `-0`
 * differs from `0`). Each pair of nodes is compared once, so the cost is
 * linear in the graphs' sizes even when the expressions, written out as
 * trees, are exponentially large.
 *
 * @example
 * ```ts
 * const a = parse('x*x + 1')
 * const b = parse('x*x + 1')
 * sameExpression(a.graph, a.output, b.graph, b.output) // true (on the Right values)
 * ```
 * @category Graph
 */
export const sameExpression = (g1: Graph, o1: NodeId, g2: Graph, o2: NodeId): boolean => {
  const seen = new Set<string>()
  const pending: [NodeId, NodeId][] = [[o1, o2]]
  while (pending.length > 0) {
    const [a, b] = pending.pop()!
    const key = `${a},${b}`
    if (seen.has(key)) continue
    seen.add(key)
    const na = g1.nodes[a]
    const nb = g2.nodes[b]
    if (na === undefined || nb === undefined || !sameNode(na, nb)) return false
    na.inputs.forEach((i, k) => pending.push([i, nb.inputs[k]!]))
  }
  return true
}
