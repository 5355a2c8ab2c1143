import { fail, graphError } from './errors.js'
import type { Attrs, Node } from './graph.js'
import {
  broadcastShapes,
  type DType,
  normalizeAxes,
  type Shape,
  sameShape,
  showShape,
  sizeOf,
} from './shape.js'

/**
 * Ops with no inputs: fed values, trainable parameters and constants.
 *
 * @category Ops
 */
export type LeafOp = 'input' | 'param' | 'const'

/**
 * Elementwise ops of one operand.
 *
 * @category Ops
 */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'abs'
  | 'square'
  | 'softplus'
  | 'sign'
  | 'stopGradient'

/**
 * Elementwise ops of two operands, broadcast by NumPy's rules. The compare
 * ops yield 1 where the relation holds and 0 elsewhere, in the operands'
 * dtype. `mulNoNan(a, b)` is `a * b` except that it is 0 wherever `a` is 0,
 * even when `b` is infinite or NaN; derivative rules use it so that a zero
 * gradient stays zero through a singular local derivative.
 *
 * @category Ops
 */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'max'
  | 'min'
  | 'mulNoNan'
  | 'greater'
  | 'greaterEqual'
  | 'equal'

/**
 * Every op a graph node can have. Tables keyed by this union (derivative
 * rules, kernels, printers) are total, so an op without a rule does not
 * compile.
 *
 * @category Ops
 */
export type OpName =
  | LeafOp
  | UnaryOp
  | BinaryOp
  | 'where'
  | 'matmul'
  | 'transpose'
  | 'reshape'
  | 'broadcast'
  | 'sum'
  | 'reduceMax'
  | 'softmax'
  | 'logSoftmax'
  | 'logSumExp'

/**
 * What a node of an op looks like, as decided by the op's definition:
 * its shape and dtype, and its attributes in normal form.
 *
 * @category Ops
 */
export interface Inferred {
  /** The node's shape. */
  readonly shape: Shape
  /** The node's dtype. */
  readonly dtype: DType
  /** The attributes, normalised (axes made non-negative and sorted). */
  readonly attrs: Attrs
}

/**
 * The definition of an op: how many operands it takes, how its shape and
 * dtype follow from them (throwing a shape or dtype error otherwise), and,
 * for elementwise ops, its value on numbers: the single place where the
 * op's meaning (including conventions at kinks) is written down.
 *
 * @category Ops
 */
export interface OpDef {
  /** Number of operands. */
  readonly arity: number
  /** The family the op belongs to; printers and backends group by it. */
  readonly kind: 'leaf' | 'elementwise' | 'structural' | 'reduction' | 'axis'
  /** Operands may be swapped without changing the value. */
  readonly commutative: boolean
  /** Shape, dtype and normalised attributes of a node, or a thrown error. */
  readonly infer: (op: OpName, inputs: readonly Node[], attrs: Attrs, dtype?: DType) => Inferred
  /** Elementwise ops: the op on numbers. */
  readonly fn?: (...args: number[]) => number
}

const shapeError = (op: string, message: string): never =>
  fail(graphError('ShapeError', { op, message: `${op}: ${message}` }))

const sameDType = (op: string, inputs: readonly Node[]): DType => {
  const dtype = inputs[0]!.dtype
  const other = inputs.find((n) => n.dtype !== dtype)
  if (other) {
    fail(
      graphError('DTypeError', {
        op,
        message: `${op}: operands have dtypes ${dtype} and ${other.dtype}; cast one so they agree`,
      }),
    )
  }
  return dtype
}

const leafShape = (op: OpName, attrs: Attrs): Shape => {
  const shape = attrs.shape ?? []
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    shapeError(op, `invalid shape ${showShape(shape)}`)
  }
  return shape
}

const leaf: OpDef = {
  arity: 0,
  kind: 'leaf',
  commutative: false,
  infer: (op, _inputs, attrs, dtype = 'f64') => {
    const shape = leafShape(op, attrs)
    if (op === 'const') {
      if (attrs.values !== undefined && attrs.values.length !== sizeOf(shape)) {
        shapeError(op, `${attrs.values.length} values do not fill shape ${showShape(shape)}`)
      }
      if (attrs.values === undefined && typeof attrs.value !== 'number') {
        shapeError(op, 'a constant needs a value')
      }
    } else if (typeof attrs.name !== 'string' || attrs.name.length === 0) {
      shapeError(op, 'needs a name')
    }
    return { shape, dtype, attrs: { ...attrs, shape } }
  },
}

const unary = (fn: (x: number) => number): OpDef => ({
  arity: 1,
  kind: 'elementwise',
  commutative: false,
  infer: (_op, [x], attrs) => ({ shape: x!.shape, dtype: x!.dtype, attrs }),
  fn,
})

const binary = (fn: (a: number, b: number) => number, commutative = false): OpDef => ({
  arity: 2,
  kind: 'elementwise',
  commutative,
  infer: (op, inputs, attrs) => {
    const dtype = sameDType(op, inputs)
    const [a, b] = inputs as [Node, Node]
    const shape =
      broadcastShapes(a.shape, b.shape) ??
      shapeError(op, `shapes ${showShape(a.shape)} and ${showShape(b.shape)} do not broadcast`)
    return { shape, dtype, attrs }
  },
  fn,
})

/** log(1 + e^x) without overflow for large x or loss of digits for very negative x. */
const softplus = (x: number): number =>
  x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))

/** 1 / (1 + e^-x), evaluated on the side where the exponential cannot overflow. */
const sigmoid = (x: number): number => {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const e = Math.exp(x)
  return e / (1 + e)
}

const reduction: OpDef = {
  arity: 1,
  kind: 'reduction',
  commutative: false,
  infer: (op, [x], attrs) => {
    const rank = x!.shape.length
    const axes =
      normalizeAxes(attrs.axes ?? x!.shape.map((_, i) => i), rank) ??
      shapeError(op, `axes [${attrs.axes}] invalid for rank ${rank}`)
    const keepdims = attrs.keepdims ?? false
    const shape = keepdims
      ? x!.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x!.shape.filter((_, i) => !axes.includes(i))
    return { shape, dtype: x!.dtype, attrs: { axes, keepdims } }
  },
}

const alongAxis = (reduces: boolean): OpDef => ({
  arity: 1,
  kind: 'axis',
  commutative: false,
  infer: (op, [x], attrs) => {
    const rank = x!.shape.length
    if (rank === 0) shapeError(op, 'needs an operand of rank 1 or more')
    const [axis] =
      normalizeAxes([attrs.axis ?? -1], rank) ??
      shapeError(op, `axis ${attrs.axis} invalid for rank ${rank}`)
    if (!reduces) return { shape: x!.shape, dtype: x!.dtype, attrs: { axis } }
    const keepdims = attrs.keepdims ?? false
    const shape = keepdims
      ? x!.shape.map((d, i) => (i === axis ? 1 : d))
      : x!.shape.filter((_, i) => i !== axis)
    return { shape, dtype: x!.dtype, attrs: { axis, keepdims } }
  },
})

/**
 * The definition of every op.
 *
 * @category Ops
 */
export const ops: { readonly [K in OpName]: OpDef } = {
  input: leaf,
  param: leaf,
  const: leaf,

  neg: unary((x) => -x),
  exp: unary(Math.exp),
  log: unary(Math.log),
  sqrt: unary(Math.sqrt),
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan),
  tanh: unary(Math.tanh),
  sigmoid: unary(sigmoid),
  relu: unary((x) => (x > 0 ? x : 0)),
  abs: unary(Math.abs),
  square: unary((x) => x * x),
  softplus: unary(softplus),
  // sign(0) = 0, so that abs'(0) = 0 as CONTRACT.md fixes.
  sign: unary((x) => (x > 0 ? 1 : x < 0 ? -1 : x)),
  stopGradient: unary((x) => x),

  add: binary((a, b) => a + b, true),
  sub: binary((a, b) => a - b),
  mul: binary((a, b) => a * b, true),
  div: binary((a, b) => a / b),
  pow: binary(Math.pow),
  // Ties go to the first operand; that is also where max's gradient goes.
  max: binary((a, b) => (a >= b ? a : b), true),
  min: binary((a, b) => (a <= b ? a : b), true),
  mulNoNan: binary((a, b) => (a === 0 ? 0 : a * b)),
  greater: binary((a, b) => (a > b ? 1 : 0)),
  greaterEqual: binary((a, b) => (a >= b ? 1 : 0)),
  equal: binary((a, b) => (a === b ? 1 : 0), true),

  where: {
    arity: 3,
    kind: 'elementwise',
    commutative: false,
    infer: (op, inputs, attrs) => {
      const dtype = sameDType(op, inputs)
      const shape = inputs
        .map((n) => n.shape)
        .reduce<Shape>(
          (s, t) =>
            broadcastShapes(s, t) ??
            shapeError(op, `shapes ${inputs.map((n) => showShape(n.shape)).join(', ')} do not broadcast`),
          [],
        )
      return { shape, dtype, attrs }
    },
    fn: (c, a, b) => (c !== 0 ? a : b),
  },

  matmul: {
    arity: 2,
    kind: 'structural',
    commutative: false,
    infer: (op, inputs, attrs) => {
      const dtype = sameDType(op, inputs)
      const [a, b] = inputs as [Node, Node]
      if (a.shape.length !== 2 || b.shape.length !== 2) {
        shapeError(op, `needs two matrices, got ${showShape(a.shape)} and ${showShape(b.shape)}`)
      }
      if (a.shape[1] !== b.shape[0]) {
        shapeError(
          op,
          `inner extents differ: ${showShape(a.shape)} x ${showShape(b.shape)} (${a.shape[1]} != ${b.shape[0]})`,
        )
      }
      return { shape: [a.shape[0]!, b.shape[1]!], dtype, attrs }
    },
  },

  transpose: {
    arity: 1,
    kind: 'structural',
    commutative: false,
    infer: (op, [x], attrs) => {
      const rank = x!.shape.length
      const perm = attrs.perm ?? x!.shape.map((_, i) => rank - 1 - i)
      const valid =
        perm.length === rank && [...perm].sort((p, q) => p - q).every((p, i) => p === i)
      if (!valid) shapeError(op, `perm [${perm}] is not a permutation of ${rank} axes`)
      return { shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype, attrs: { perm } }
    },
  },

  reshape: {
    arity: 1,
    kind: 'structural',
    commutative: false,
    infer: (op, [x], attrs) => {
      const shape = attrs.shape ?? []
      if (sizeOf(shape) !== sizeOf(x!.shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        shapeError(op, `cannot reshape ${showShape(x!.shape)} to ${showShape(shape)}`)
      }
      return { shape, dtype: x!.dtype, attrs: { shape } }
    },
  },

  broadcast: {
    arity: 1,
    kind: 'structural',
    commutative: false,
    infer: (op, [x], attrs) => {
      const shape = attrs.shape ?? []
      const result = broadcastShapes(x!.shape, shape)
      if (result === undefined || !sameShape(result, shape)) {
        shapeError(op, `cannot broadcast ${showShape(x!.shape)} to ${showShape(shape)}`)
      }
      return { shape, dtype: x!.dtype, attrs: { shape } }
    },
  },

  sum: reduction,
  reduceMax: reduction,
  softmax: alongAxis(false),
  logSoftmax: alongAxis(false),
  logSumExp: alongAxis(true),
}

/**
 * All op names, in the order of the {@link ops} table.
 *
 * @category Ops
 */
export const opNames = Object.keys(ops) as readonly OpName[]

/**
 * True when `name` is an op name.
 *
 * @category Ops
 */
export const isOpName = (name: string): name is OpName => Object.hasOwn(ops, name)
