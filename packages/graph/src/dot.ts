import { ancestors, type Graph, type Node, type NodeId } from './graph.js'
import type { OpName } from './ops.js'
import { showShape } from './shape.js'

/**
 * Options of {@link toDot}.
 *
 * @category Graphviz
 */
export interface DotOptions {
  /**
   * The first id of the derivative part: nodes from this id on are drawn as
   * boxes inside a cluster labelled "computation of the derivative", the
   * nodes before it (the forward graph) as ellipses. Without it every node
   * is drawn as a forward node.
   */
  readonly derivativeFrom?: NodeId
  /**
   * Tells forward nodes from derivative nodes when they are not split by id,
   * e.g. after simplification renumbered the graph (forward nodes are then
   * the ones the value depends on). Takes precedence over `derivativeFrom`.
   */
  readonly isForward?: (id: NodeId) => boolean
  /** Names shown above the op of some nodes, e.g. `E` or `∂E/∂w`. */
  readonly labels?: ReadonlyMap<NodeId, string> | Readonly<Record<number, string>>
  /** Lines shown under the op of some nodes, e.g. their value and adjoint at a point. */
  readonly notes?: ReadonlyMap<NodeId, readonly string[]>
  /** A caption for the whole drawing. */
  readonly title?: string
  /** Layout direction; `'BT'` (inputs at the bottom, as in the lecture) by default. */
  readonly rankdir?: 'BT' | 'TB' | 'LR' | 'RL'
}

const symbols: Partial<Record<OpName, string>> = {
  add: '+',
  sub: '−',
  mul: '×',
  div: '÷',
  pow: '^',
  neg: 'neg',
  greater: '>',
  greaterEqual: '≥',
  equal: '=',
  sum: 'Σ',
}

/**
 * DOT's escString inside double quotes: a backslash and a quote are
 * escaped; a line break becomes DOT's `\n`.
 */
const quote = (s: string): string =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r\n|\r|\n/g, '\\n')}"`

const valueText = (v: number): string => (Object.is(v, -0) ? '-0' : String(v))

/** The lines of a node's label: what it is, then its shape unless it is a scalar. */
const describe = (node: Node): string[] => {
  const { attrs } = node
  let head: string
  if (node.op === 'input' || node.op === 'param') head = attrs.name!
  else if (node.op === 'const') head = attrs.values ? 'const' : valueText(attrs.value!)
  else head = symbols[node.op] ?? node.op
  if (attrs.axes !== undefined) head += ` axes=${showShape(attrs.axes)}`
  if (attrs.axis !== undefined) head += ` axis=${attrs.axis}`
  const { perm } = attrs
  if (perm !== undefined && !perm.every((p, i) => p === perm.length - 1 - i)) head += ` perm=${showShape(perm)}`
  return node.shape.length === 0 ? [head] : [head, showShape(node.shape)]
}

const labelOf = (labels: DotOptions['labels'], id: NodeId): string | undefined =>
  labels === undefined ? undefined : labels instanceof Map ? labels.get(id) : (labels as Record<number, string>)[id]

const forwardStyle = 'shape=ellipse, style=filled, fillcolor="#d6e6f5"'
const derivativeStyle = 'shape=box, style="filled,rounded", fillcolor="#fbd3a4"'

/**
 * A Graphviz DOT drawing of the nodes that `outputs` depend on: one vertex
 * per node, labelled with its op symbol (`+`, `×`, `sin`, ...), its shape
 * when it is not a scalar, or its name or value for leaves; one edge from
 * each operand to its consumer (twice for `x × x`), with operands in order.
 * Outputs have a double border. With `derivativeFrom`, the derivative part
 * is set apart as the lecture's "computation of the derivative".
 *
 * @example
 * ```ts
 * toDot(gradGraph, [e, dw], { derivativeFrom: forward.nodes.length, labels: { [e]: 'E', [dw]: '∂E/∂w' } })
 * // digraph backprop { rankdir=BT; ... n0 -> n2; ... }  (render with `dot -Tsvg`)
 * ```
 * @category Graphviz
 */
export const toDot = (graph: Graph, outputs: readonly NodeId[], opts: DotOptions = {}): string => {
  const ids = ancestors(graph, outputs)
  const isOutput = new Set(outputs)
  const from = opts.derivativeFrom ?? Infinity
  const isForward = opts.isForward ?? ((id: NodeId) => id < from)
  const vertex = (id: NodeId): string => {
    const node = graph.nodes[id]!
    const name = labelOf(opts.labels, id)
    const lines = [...(name === undefined ? [] : [name]), ...describe(node), ...(opts.notes?.get(id) ?? [])]
    const style = isForward(id) ? forwardStyle : derivativeStyle
    const emphasis = isOutput.has(id) ? ', peripheries=2, penwidth=1.5' : ''
    return `n${id} [label=${quote(lines.join('\n'))}, ${style}${emphasis}];`
  }
  const forward = ids.filter(isForward)
  const derivative = ids.filter((id) => !isForward(id))
  const lines = [
    'digraph backprop {',
    `  rankdir=${opts.rankdir ?? 'BT'};`,
    '  ordering=in;',
    '  node [fontname="Helvetica", fontsize=11];',
    ...(opts.title === undefined ? [] : [`  label=${quote(opts.title)};`, '  labelloc=t;']),
    ...forward.map((id) => `  ${vertex(id)}`),
  ]
  if (derivative.length > 0) {
    lines.push(
      '  subgraph cluster_derivative {',
      '    label="computation of the derivative";',
      '    style="dashed,rounded";',
      '    color="#e08a2c";',
      ...derivative.map((id) => `    ${vertex(id)}`),
      '  }',
    )
  }
  for (const id of ids) for (const i of graph.nodes[id]!.inputs) lines.push(`  n${i} -> n${id};`)
  lines.push('}')
  return `${lines.join('\n')}\n`
}
