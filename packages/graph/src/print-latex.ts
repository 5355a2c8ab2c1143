import { ancestors, type Graph, type Node, type NodeId } from './graph.js'
import { type OpName, ops } from './ops.js'

/** A rendered subexpression, its precedence level and whether it starts with a minus. */
interface Tex {
  readonly s: string
  readonly level: number
  readonly negative?: boolean
}

// Precedence levels: sum < product < unary minus < power (and \frac) < atom.
const SUM = 1
const PRODUCT = 2
const NEG = 3
const POW = 4
const ATOM = 5

const paren = (s: string): string => `\\left(${s}\\right)`
/** `t` as an operand that must be at least `min`; negative right operands get parentheses too. */
const operand = (t: Tex, min: number, right = false): string =>
  t.level < min || (right && t.negative) ? paren(t.s) : t.s

const tex = (s: string, level: number, negative = false): Tex => ({ s, level, negative })
const apply = (head: string, ...args: Tex[]): Tex => tex(`${head}${paren(args.map((a) => a.s).join(', '))}`, ATOM)
const power = (base: Tex, exponent: string): Tex => tex(`${operand(base, ATOM)}^{${exponent}}`, POW)

const greek = new Set(
  ('alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau ' +
    'upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega').split(' '),
)

const escapeText = (s: string): string =>
  s.replace(/[\\{}$&#^_%~]/g, (c) =>
    c === '\\' ? '\\textbackslash{}' : c === '^' ? '\\^{}' : c === '~' ? '\\~{}' : `\\${c}`,
  )

const stem = (s: string): string => (greek.has(s) ? `\\${s}` : s.length === 1 ? s : `\\mathrm{${s}}`)

/**
 * A variable name as a symbol: `w1` and `w_1` become `w_{1}`, Greek names
 * their letters (`theta` -> `\theta`), longer words upright text; anything
 * else is escaped upright text.
 */
const latexName = (name: string): string => {
  const m = /^([A-Za-z]+?)_?(\d+)$/.exec(name) ?? /^([A-Za-z]+)_([A-Za-z0-9_]+)$/.exec(name)
  if (m) return `${stem(m[1]!)}_{${escapeText(m[2]!)}}`
  return /^[A-Za-z]+$/.test(name) ? stem(name) : `\\mathrm{${escapeText(name)}}`
}

const latexNumber = (v: number): Tex => {
  if (v === Math.PI) return tex('\\pi', ATOM)
  if (v === Math.E) return tex('e', ATOM)
  if (Number.isNaN(v)) return tex('\\mathrm{NaN}', ATOM)
  const negative = v < 0 || Object.is(v, -0)
  const magnitude = Math.abs(v)
  const [mantissa, exponent] = String(magnitude).split('e')
  const body =
    magnitude === Infinity
      ? '\\infty'
      : exponent === undefined
        ? mantissa!
        : `${mantissa} \\cdot 10^{${Number(exponent)}}`
  const level = exponent === undefined ? ATOM : PRODUCT
  return negative ? tex(`-${body}`, NEG, true) : tex(body, level)
}

const latexConst = (n: Node): Tex => {
  const { value, values } = n.attrs
  if (values === undefined) return latexNumber(value!)
  if (n.shape.length === 0) return latexNumber(values[0]!)
  const cols = n.shape[n.shape.length - 1]!
  if (n.shape.length > 2 || values.length > 16 || cols === 0) {
    return tex(`\\mathrm{const}_{${n.shape.join(' \\times ')}}`, ATOM)
  }
  const rows: string[] = []
  for (let i = 0; i < values.length; i += cols) {
    rows.push(values.slice(i, i + cols).map((v) => latexNumber(v).s).join(' & '))
  }
  return tex(`\\begin{bmatrix}${rows.join(' \\\\ ')}\\end{bmatrix}`, ATOM)
}

type Form = (args: readonly Tex[], node: Node, inputs: readonly Node[]) => Tex

const fn =
  (head: string): Form =>
  (args) =>
    apply(head, ...args)
const sum: Form = ([a, b]) => tex(`${operand(a!, SUM)} + ${operand(b!, PRODUCT, true)}`, SUM)
const times: Form = ([a, b]) => tex(`${operand(a!, PRODUCT)} \\cdot ${operand(b!, PRODUCT, true)}`, PRODUCT)
const compare =
  (rel: string): Form =>
  ([a, b]) =>
    tex(`\\left[${a!.s} ${rel} ${b!.s}\\right]`, ATOM) // Iverson bracket: 1 where it holds
/** A subscript with the reduced axes, omitted when all axes are reduced. */
const axesNote = (node: Node, input: Node): string => {
  const axes = node.attrs.axes!
  return axes.length === input.shape.length ? '' : `_{\\mathrm{axes}=${axes.join(',')}}`
}
const axisNote = (node: Node, input: Node): string =>
  node.attrs.axis === input.shape.length - 1 ? '' : `_{\\mathrm{axis}=${node.attrs.axis}}`

/**
 * How the ops print that are not typeset as a function call, given their
 * operands; every other op is `head(args)` with the head from its row of
 * the op table (`OpDef.latex`), or `\operatorname{op}`.
 */
const forms: { readonly [K in OpName]?: Form } = {
  input: (_, node) => tex(latexName(node.attrs.name!), ATOM),
  param: (_, node) => tex(latexName(node.attrs.name!), ATOM),
  const: (_, node) => latexConst(node),
  neg: ([x]) => tex(`-${operand(x!, PRODUCT, true)}`, NEG, true),
  exp: ([x]) => tex(`e^{${x!.s}}`, POW),
  sqrt: ([x]) => tex(`\\sqrt{${x!.s}}`, ATOM),
  abs: ([x]) => tex(`\\left|${x!.s}\\right|`, ATOM),
  square: ([x]) => power(x!, '2'),
  add: sum,
  sub: ([a, b]) => tex(`${operand(a!, SUM)} - ${operand(b!, PRODUCT, true)}`, SUM),
  mul: times,
  div: ([a, b]) => tex(`\\frac{${a!.s}}{${b!.s}}`, POW),
  pow: ([a, b]) => power(a!, b!.s),
  mulNoNan: times,
  greater: compare('>'),
  greaterEqual: compare('\\geq'),
  equal: compare('='),
  // Juxtaposition, as in W z; the right factor is an atom or a power (W^{\top}).
  matmul: ([a, b]) => tex(`${operand(a!, PRODUCT)} ${operand(b!, POW, true)}`, PRODUCT),
  transpose: ([x], node) => {
    const perm = node.attrs.perm!
    if (perm.every((p, i) => p === perm.length - 1 - i)) return power(x!, '\\top')
    return apply(`\\operatorname{transpose}_{(${perm.join(',')})}`, x!)
  },
  reshape: ([x], node) => apply(`\\operatorname{reshape}_{${node.shape.join(' \\times ')}}`, x!),
  broadcast: ([x], node) => apply(`\\operatorname{broadcast}_{${node.shape.join(' \\times ')}}`, x!),
  slice: ([x], node) => apply(`\\operatorname{slice}_{${node.attrs.axis}: ${node.attrs.start}..${node.attrs.end}}`, x!),
  index: ([x], node) => apply(`\\operatorname{index}_{${node.attrs.axis}: ${node.attrs.start}}`, x!),
  concat: ([a, b], node) => apply(`\\operatorname{concat}_{${node.attrs.axis}}`, a!, b!),
  sum: ([x], node, [input]) => apply(`\\sum${axesNote(node, input!)}`, x!),
  reduceMax: ([x], node, [input]) => apply(`\\max${axesNote(node, input!)}`, x!),
  softmax: ([x], node, [input]) => apply(`\\operatorname{softmax}${axisNote(node, input!)}`, x!),
  logSoftmax: ([x], node, [input]) => apply(`\\log\\operatorname{softmax}${axisNote(node, input!)}`, x!),
  logSumExp: ([x], node, [input]) => apply(`\\operatorname{logsumexp}${axisNote(node, input!)}`, x!),
}

/**
 * Typesets the expression that computes `output` as LaTeX math (without
 * surrounding `$`): `\frac{a}{b}`, `\sqrt{x}`, `e^{x}`, `\log\left(x\right)`,
 * `\sigma\left(a\right)` for sigmoid, `\operatorname{relu}`, `\left|x\right|`,
 * `x^{2}`, `a \cdot b`, `\max\left(a, b\right)`, `\pi`, `w_{1}` for `w1`,
 * `W^{\top}` for a transpose, `W x` for a matrix product, `\sum` for a sum,
 * and Iverson brackets `\left[a > b\right]` for comparisons. Parentheses
 * (`\left(\right)`) appear only where precedence needs them and around
 * negative right operands.
 *
 * @example
 * ```ts
 * const parsed = parse('0.5*(sigmoid(w*x) - t)^2')
 * if (E.isRight(parsed)) toLatex(parsed.right.graph, parsed.right.output)
 * // 0.5 \cdot \left(\sigma\left(w \cdot x\right) - t\right)^{2}
 * ```
 * @category LaTeX
 */
export const toLatex = (graph: Graph, output: NodeId): string => {
  const done = new Map<NodeId, Tex>()
  for (const id of ancestors(graph, [output])) {
    const node = graph.nodes[id]!
    const args = node.inputs.map((i) => done.get(i)!)
    const form = forms[node.op] ?? fn(ops[node.op].latex ?? `\\operatorname{${node.op}}`)
    done.set(id, form(args, node, node.inputs.map((i) => graph.nodes[i]!)))
  }
  return done.get(output)!.s
}
