import type { Builder, Node, NodeId, OpName, Shape } from '@backprop/graph'

/**
 * What a derivative rule sees: the builder to append derivative nodes with,
 * the node being differentiated (`y`, its id; `x`, its operand ids) and `g`,
 * the upstream gradient dE/dy (same shape as `y`).
 *
 * @category Rules
 */
export interface RuleContext {
  /** Appends nodes to the gradient graph. */
  readonly b: Builder
  /** The upstream gradient dE/dy. */
  readonly g: NodeId
  /** The node being differentiated. */
  readonly y: NodeId
  /** Its definition (op, attributes, shape). */
  readonly node: Node
  /** Its operands. */
  readonly x: readonly NodeId[]
}

/**
 * A derivative rule: dE/dx_i for each operand x_i, or `undefined` where no
 * gradient flows (a non-differentiable operand, or one known to be zero).
 * A returned gradient may have the shape of `y` rather than of `x_i` when
 * `x_i` was broadcast; the walker sums it back, so rules never see
 * broadcasting. Rules use graph ops only, so their results can be
 * differentiated again.
 *
 * @category Rules
 */
export type Rule = (ctx: RuleContext) => ReadonlyArray<NodeId | undefined>

/**
 * A derivative rule for every op: the type makes the table total.
 *
 * @category Rules
 */
export type RuleTable = { readonly [K in OpName]: Rule }

/**
 * `g` placed at `start` along `axis` of zeros of `shape`: the gradient of a
 * slice, written with `concat` so that it differentiates again (into
 * slices).
 */
const padTo = (b: Builder, g: NodeId, shape: Shape, axis: number, start: number): NodeId => {
  const { dtype, shape: part } = b.node(g)
  const zeros = (n: number): NodeId[] => (n === 0 ? [] : [b.scalar(0, dtype, shape.map((d, i) => (i === axis ? n : d)))])
  return b.concat([...zeros(start), g, ...zeros(shape[axis]! - start - part[axis]!)], axis)
}

/**
 * A rule for an elementwise op of one operand from its local derivative:
 * dE/dx = g * h'(x), where `local` builds h'(x) (it may use `y = h(x)`).
 *
 * @category Rules
 */
export const elementwise =
  (local: (b: Builder, x: NodeId, y: NodeId) => NodeId): Rule =>
  ({ b, g, x, y }) => [b.mul(g, local(b, x[0]!, y))]

/**
 * Like {@link elementwise}, for local derivatives that are infinite or NaN
 * somewhere (log at 0, sqrt at 0): a zero upstream gradient, such as from the
 * untaken branch of a `where` or `max`, stays zero instead of becoming NaN.
 *
 * @category Rules
 */
export const singular =
  (local: (b: Builder, x: NodeId, y: NodeId) => NodeId): Rule =>
  ({ b, g, x, y }) => [b.mulNoNan(g, local(b, x[0]!, y))]

/**
 * A rule for an op that is linear in each operand: `parts` maps the upstream
 * gradient to one gradient per operand.
 *
 * @category Rules
 */
export const linear =
  (parts: (b: Builder, g: NodeId, node: Node, x: readonly NodeId[]) => ReadonlyArray<NodeId | undefined>): Rule =>
  ({ b, g, node, x }) => parts(b, g, node, x)

/**
 * The rule of an op through which no gradient flows (constants, compares,
 * step, sign, stopGradient).
 *
 * @category Rules
 */
export const none: Rule = () => []

/** The keepdims shape of a reduction's result: reduced axes kept with extent 1. */
const keptShape = (shape: readonly number[], axes: readonly number[]): number[] =>
  shape.map((d, i) => (axes.includes(i) ? 1 : d))

/** Brings a reduction's upstream gradient back to the operand's rank (extent 1 on reduced axes). */
const kept = (b: Builder, g: NodeId, operand: Node, axes: readonly number[]): NodeId =>
  b.reshape(g, keptShape(operand.shape, axes))

/** Gradients [g * mask, g * (1 - mask)] of an op that picks its first operand where `mask` is 1. */
const picked = (b: Builder, g: NodeId, mask: NodeId): NodeId[] => [
  b.mul(g, mask),
  b.mul(g, b.sub(b.scalarLike(1, mask), mask)),
]

/** The inverse of an axis permutation. */
const inversePerm = (perm: readonly number[]): number[] => {
  const inv = new Array<number>(perm.length)
  perm.forEach((p, i) => (inv[p] = i))
  return inv
}

/**
 * The derivative rule of every op, written with graph ops only. Conventions
 * at kinks follow CONTRACT.md: relu'(0) = 0, abs'(0) = 0, and `max`/`min`
 * pass the gradient to the first operand on a tie.
 *
 * @category Rules
 */
export const rules: RuleTable = {
  input: none,
  param: none,
  const: none,

  neg: linear((b, g) => [b.neg(g)]),
  exp: elementwise((_b, _x, y) => y), // d e^x = e^x
  log: singular((b, x) => b.div(b.scalarLike(1, x), x)), // d log x = 1/x
  sqrt: singular((b, _x, y) => b.div(b.scalarLike(0.5, y), y)), // d sqrt x = 1/(2 sqrt x)
  sin: elementwise((b, x) => b.cos(x)),
  cos: elementwise((b, x) => b.neg(b.sin(x))),
  tan: elementwise((b, _x, y) => b.add(b.scalarLike(1, y), b.square(y))), // 1 + tan^2 x
  tanh: elementwise((b, _x, y) => b.sub(b.scalarLike(1, y), b.square(y))), // 1 - tanh^2 x
  sigmoid: elementwise((b, _x, y) => b.mul(y, b.sub(b.scalarLike(1, y), y))), // s (1 - s)
  relu: elementwise((b, x) => b.greater(x, b.scalarLike(0, x))), // step, 0 at 0
  abs: elementwise((b, x) => b.sign(x)), // sign, 0 at 0
  square: elementwise((b, x) => b.mul(b.scalarLike(2, x), x)),
  softplus: elementwise((b, x) => b.sigmoid(x)),
  erf: elementwise((b, x) => b.mul(b.scalarLike(2 / Math.sqrt(Math.PI), x), b.exp(b.neg(b.square(x))))), // 2/sqrt(pi) e^(-x^2)
  step: none,
  sign: none,
  stopGradient: none,

  add: linear((_b, g) => [g, g]),
  sub: linear((b, g) => [g, b.neg(g)]),
  mul: ({ b, g, x: [u, v] }) => [b.mul(g, v!), b.mul(g, u!)],
  // d(u/v) = du/v - (u/v)/v dv; both factors are singular where v = 0.
  div: ({ b, g, y, x: [, v] }) => [
    b.mulNoNan(g, b.div(b.scalarLike(1, v!), v!)),
    b.mulNoNan(g, b.neg(b.div(y, v!))),
  ],
  // d(u^v) = v u^(v-1) du + u^v log(u) dv
  pow: ({ b, g, y, x: [u, v] }) => [
    b.mulNoNan(g, b.mul(v!, b.pow(u!, b.sub(v!, b.scalarLike(1, v!))))),
    b.mulNoNan(g, b.mul(y, b.log(u!))),
  ],
  // max(u, v) = u where u >= v, else v (so also where u is NaN): the
  // gradient follows the operand that was picked, ties going to u.
  max: ({ b, g, x: [u, v] }) => picked(b, g, b.greaterEqual(u!, v!)),
  min: ({ b, g, x: [u, v] }) => picked(b, g, b.greaterEqual(v!, u!)),
  // mulNoNan(u, v) equals u*v except where u = 0; there its v-derivative is u = 0 too.
  mulNoNan: ({ b, g, x: [u, v] }) => [b.mulNoNan(g, v!), b.mul(g, u!)],
  greater: none,
  greaterEqual: none,
  equal: none,
  where: ({ b, g, x: [c, u, v] }) => {
    const zero = b.scalarLike(0, u!)
    return [undefined, b.where(c!, g, zero), b.where(c!, zero, g)]
  },

  // d(UV) = dU V + U dV: dE/dU = G V^T, dE/dV = U^T G
  matmul: ({ b, g, x: [u, v] }) => [b.matmul(g, b.transpose(v!)), b.matmul(b.transpose(u!), g)],
  transpose: ({ b, g, node }) => [b.transpose(g, inversePerm(node.attrs.perm!))],
  reshape: ({ b, g, x: [u] }) => [b.reshape(g, b.node(u!).shape)],
  broadcast: linear((_b, g) => [g]), // the walker sums g back to the operand's shape
  slice: ({ b, g, node, x: [u] }) => [padTo(b, g, b.node(u!).shape, node.attrs.axis!, node.attrs.start!)],
  // x[i] is x[i:i+1] with the axis dropped: put it back, then as slice.
  index: ({ b, g, node, x: [u] }) => {
    const { axis, start } = node.attrs
    const kept = b.node(u!).shape.map((d, i) => (i === axis ? 1 : d))
    return [padTo(b, b.reshape(g, kept), b.node(u!).shape, axis!, start!)]
  },
  concat: ({ b, g, node, x: [u] }) => {
    const { axis } = node.attrs
    const cut = b.node(u!).shape[axis!]!
    return [b.slice(g, 0, cut, axis), b.slice(g, cut, node.shape[axis!]!, axis)]
  },
  sum: ({ b, g, x: [u], node }) => {
    const operand = b.node(u!)
    return [b.broadcast(kept(b, g, operand, node.attrs.axes!), operand.shape)]
  },
  // The gradient goes to the maxima, shared equally among ties.
  reduceMax: ({ b, g, y, x: [u], node }) => {
    const operand = b.node(u!)
    const axes = node.attrs.axes!
    const mask = b.equal(u!, b.broadcast(kept(b, y, operand, axes), operand.shape))
    const share = b.div(kept(b, g, operand, axes), b.sum(mask, axes, true))
    return [b.mul(mask, share)]
  },
  // dx = y * (g - sum(g * y))
  softmax: ({ b, g, y, node }) => {
    const axis = node.attrs.axis!
    return [b.mul(y, b.sub(g, b.sum(b.mul(g, y), [axis], true)))]
  },
  // dx = g - softmax(x) * sum(g)
  logSoftmax: ({ b, g, x: [u], node }) => {
    const axis = node.attrs.axis!
    return [b.sub(g, b.mul(b.softmax(u!, axis), b.sum(g, [axis], true)))]
  },
  // dx = g * softmax(x)
  logSumExp: ({ b, g, x: [u], node }) => {
    const operand = b.node(u!)
    const axis = node.attrs.axis!
    return [b.mul(kept(b, g, operand, [axis]), b.softmax(u!, axis))]
  },
}
