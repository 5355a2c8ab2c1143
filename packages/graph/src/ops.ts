import { erfSeriesCoefficients } from './erf-series.js'
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
  | 'erf'
  | 'step'
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
  | 'slice'
  | 'index'
  | 'concat'
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
 * When a node of an op is provably finite, given that inputs and parameters
 * are (the assumption the arithmetic rewrites make throughout):
 * `'operands'` wherever its operands are (polynomials, bounded functions,
 * selections, data movement); `'polynomialPower'` when the exponent is a
 * constant non-negative integer; `'nonZeroDivisor'` when the divisor is
 * provably nonzero. Ops without it (poles, overflow: `log`, `exp`, `tan`)
 * are never proven finite.
 *
 * @category Ops
 */
export type FiniteFact = 'operands' | 'polynomialPower' | 'nonZeroDivisor'

/**
 * The sign facts the passes reason with (`isPositive`, `isNonZero`, the
 * arithmetic rules), each in exact real arithmetic wherever the op is
 * defined. A new op states its facts here and every pass sees them.
 *
 * @category Ops
 */
export interface SignFacts {
  /**
   * When the value is positive: `'always'`; `'operand'` where the first
   * operand is; `'nonZeroOperand'` where the operand is nonzero (`x^2`,
   * `|x|`); `'allOperands'`/`'anyOperand'` where all/any of them are;
   * `'sum'` where one operand is positive and the others never negative.
   */
  readonly positive?: 'always' | 'operand' | 'nonZeroOperand' | 'allOperands' | 'anyOperand' | 'sum'
  /** When the value is never negative: `'always'`, or where all operands are not. */
  readonly nonNegative?: 'always' | 'allOperands'
  /**
   * When the value is nonzero besides where it is positive: `'operand'`
   * where the first operand is (for a quotient, its dividend), `'allOperands'`
   * where all are, `'integerPower'` for a nonzero base to a constant integer
   * exponent.
   */
  readonly nonZero?: 'operand' | 'allOperands' | 'integerPower'
}

/**
 * How an elementwise op treats a value summed over the batch, for a
 * data-parallel split that sums the shards' parts: `linearIn` lists groups
 * of operands in which the op is jointly linear while the other operands
 * stay fixed (so the shards may apply it to their parts of a sum), and
 * `signs`, for an op that is a signed sum of its operands (`add`: `[1, 1]`,
 * `sub`: `[1, -1]`), lets a sum meet a batch-independent term, which one
 * shard adds. Ops without it are nonlinear: the split stops at them.
 *
 * @category Ops
 */
export interface BatchFacts {
  /** Groups of operand positions the op is jointly linear in. */
  readonly linearIn: readonly (readonly number[])[]
  /** The signs of the operands of a signed sum. */
  readonly signs?: readonly number[]
}

/**
 * The definition of an op: how many operands it takes, how its shape and
 * dtype follow from them (throwing a shape or dtype error otherwise), and,
 * for elementwise ops, its value on numbers: the single place where the
 * op's meaning (including conventions at kinks) is written down. Beside it
 * are the facts about the op that passes and backends ask (range and sign,
 * batch behaviour, cost) and its names in the text language and LaTeX, so
 * that a new op is one row here and every pass that cares sees it.
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
  /** Roughly how many floating-point operations a node does, given its operands (see {@link flopsOf}). */
  readonly cost: (node: Node, operands: readonly Node[]) => number
  /** When a node is provably finite; never, without it. */
  readonly finite?: FiniteFact
  /** What is known of the sign of its values. */
  readonly sign?: SignFacts
  /** Elementwise ops: how it meets sums over the batch; nonlinear without it. */
  readonly batch?: BatchFacts
  /**
   * Ops written `name(args)` in the scalar text language: the dialect that
   * knows the function (`'contract'`: CONTRACT.md §1; `'full'`: the dialect
   * that prints every scalar graph exactly). Operators (`+`, `-`, `^`) and
   * tensor ops have none.
   */
  readonly syntax?: 'contract' | 'full'
  /** The LaTeX head of an op typeset as a function call, e.g. `\tanh`. */
  readonly latex?: string
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

const noCost = (): number => 0
const resultSize = (node: Node): number => sizeOf(node.shape)
const operandSize = (_node: Node, [x]: readonly Node[]): number => sizeOf(x!.shape)

const leaf: OpDef = {
  arity: 0,
  kind: 'leaf',
  commutative: false,
  cost: noCost,
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

/** The facts of an op row beyond its arity, kind and meaning. */
type Facts = Partial<Pick<OpDef, 'commutative' | 'cost' | 'finite' | 'sign' | 'batch' | 'syntax' | 'latex'>>

const unary = (fn: (x: number) => number, facts: Facts = {}): OpDef => ({
  arity: 1,
  kind: 'elementwise',
  commutative: false,
  cost: resultSize,
  infer: (_op, [x], attrs) => ({ shape: x!.shape, dtype: x!.dtype, attrs }),
  fn,
  ...facts,
})

const binary = (fn: (a: number, b: number) => number, facts: Facts = {}): OpDef => ({
  arity: 2,
  kind: 'elementwise',
  commutative: false,
  cost: resultSize,
  infer: (op, inputs, attrs) => {
    const dtype = sameDType(op, inputs)
    const [a, b] = inputs as [Node, Node]
    const shape =
      broadcastShapes(a.shape, b.shape) ??
      shapeError(op, `shapes ${showShape(a.shape)} and ${showShape(b.shape)} do not broadcast`)
    return { shape, dtype, attrs }
  },
  fn,
  ...facts,
})

/** A function of the contract's text language, typeset as `latex` unless the LaTeX printer has a form of its own. */
const contract = (latex?: string): Facts => ({ syntax: 'contract', ...(latex === undefined ? {} : { latex }) })
/** A function of the full text dialect only, typeset as `latex` unless the LaTeX printer has a form of its own. */
const fullOnly = (latex?: string): Facts => ({ syntax: 'full', ...(latex === undefined ? {} : { latex }) })

/** log(1 + e^x) without overflow for large x or loss of digits for very negative x. */
const softplus = (x: number): number =>
  x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))

/** 1 / (1 + e^-x), evaluated on the side where the exponential cannot overflow. */
const sigmoid = (x: number): number => {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const e = Math.exp(x)
  return e / (1 + e)
}

// erf's Maclaurin series in x^2 below |x| = 1.5: 25 terms reach float64 precision there.
const erfSeries = erfSeriesCoefficients(25)

/**
 * The error function to about two float64 ulps: its Maclaurin series below
 * |x| = 1.5 (Horner in x^2; the alternating terms cancel little there), and
 * above, 1 - erfc(x) with erfc's continued fraction
 * `e^(-x^2) / sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))`
 * evaluated from a fixed depth upwards. Odd, so erf(-0) = -0; erf(±inf) = ±1.
 */
const erf = (x: number): number => {
  const a = Math.abs(x)
  if (a < 1.5) {
    const z = x * x
    let p = erfSeries[erfSeries.length - 1]!
    for (let n = erfSeries.length - 2; n >= 0; n--) p = erfSeries[n]! + z * p
    return (2 / Math.sqrt(Math.PI)) * x * p
  }
  // erfc(6) is below half an ulp of 1 (and NaN falls through to NaN).
  if (a >= 6) return x > 0 ? 1 : x < 0 ? -1 : x
  let t = a
  for (let n = 80; n >= 1; n--) t = a + n / 2 / t
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / t
  return x > 0 ? 1 - erfc : erfc - 1
}

const reduction = (facts: Facts): OpDef => ({
  arity: 1,
  kind: 'reduction',
  commutative: false,
  cost: operandSize,
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
  ...facts,
})

const alongAxis = (reduces: boolean, facts: Facts = {}): OpDef => ({
  arity: 1,
  kind: 'axis',
  commutative: false,
  cost: operandSize,
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
  ...facts,
})

/** Data movement (a view of its operand): free, finite and of the operand's sign. */
const view = (infer: OpDef['infer']): OpDef => ({
  arity: 1,
  kind: 'structural',
  commutative: false,
  cost: noCost,
  infer,
  finite: 'operands',
  sign: { positive: 'operand', nonZero: 'operand' },
})

/** The normalised axis of a `slice`, `index` or `concat` node of rank-`rank` operands. */
const axisOf = (op: string, attrs: Attrs, rank: number): number => {
  if (rank === 0) shapeError(op, 'needs an operand of rank 1 or more')
  const [axis] = normalizeAxes([attrs.axis ?? 0], rank) ?? shapeError(op, `axis ${attrs.axis} invalid for rank ${rank}`)
  return axis!
}

/** A position along an axis of `extent`, counted from the end when negative (as in `x[-1]`). */
const positionOf = (op: string, p: number | undefined, extent: number, last: number): number => {
  const at = p !== undefined && p < 0 ? p + extent : p
  if (at === undefined || !Number.isInteger(at) || at < 0 || at > last) {
    shapeError(op, `position ${p} is outside 0..${last} of an axis of ${extent}`)
  }
  return at!
}

// Fact shorthands, used in the rows below.
const closed = { finite: 'operands' } as const
const linear = { linearIn: [[0]] } as const

/**
 * The definition of every op, one row per op: its meaning and the facts
 * passes and backends read (see {@link OpDef}).
 *
 * @category Ops
 */
export const ops: { readonly [K in OpName]: OpDef } = {
  input: leaf,
  param: leaf,
  const: leaf,

  neg: unary((x) => -x, { ...closed, sign: { nonZero: 'operand' }, batch: linear }),
  exp: unary(Math.exp, { ...contract(), sign: { positive: 'always', nonNegative: 'always' } }),
  log: unary(Math.log, contract('\\log')),
  sqrt: unary(Math.sqrt, { ...contract(), sign: { positive: 'operand', nonNegative: 'always', nonZero: 'operand' } }),
  sin: unary(Math.sin, { ...contract('\\sin'), ...closed }),
  cos: unary(Math.cos, { ...contract('\\cos'), ...closed }),
  tan: unary(Math.tan, contract('\\tan')),
  tanh: unary(Math.tanh, { ...contract('\\tanh'), ...closed, sign: { nonZero: 'operand' } }),
  sigmoid: unary(sigmoid, { ...contract('\\sigma'), ...closed, sign: { positive: 'always', nonNegative: 'always' } }),
  relu: unary((x) => (x > 0 ? x : 0), {
    ...contract('\\operatorname{relu}'),
    ...closed,
    sign: { positive: 'operand', nonNegative: 'always' },
  }),
  abs: unary(Math.abs, { ...contract(), ...closed, sign: { positive: 'nonZeroOperand', nonNegative: 'always' } }),
  square: unary((x) => x * x, {
    ...contract(),
    ...closed,
    sign: { positive: 'nonZeroOperand', nonNegative: 'always' },
  }),
  softplus: unary(softplus, { ...contract('\\operatorname{softplus}'), sign: { positive: 'always', nonNegative: 'always' } }),
  erf: unary(erf, { ...contract('\\operatorname{erf}'), ...closed, sign: { positive: 'operand', nonZero: 'operand' } }),
  // 1 where x > 0, else 0 (NaN included): the derivative of relu, as printed derivatives write it.
  step: unary((x) => (x > 0 ? 1 : 0), { ...contract('\\operatorname{step}'), ...closed, sign: { nonNegative: 'always' } }),
  // sign(0) = 0, so that abs'(0) = 0 as CONTRACT.md fixes.
  sign: unary((x) => (x > 0 ? 1 : x < 0 ? -1 : x), {
    ...fullOnly('\\operatorname{sign}'),
    ...closed,
    sign: { nonZero: 'operand' },
  }),
  stopGradient: unary((x) => x, {
    ...fullOnly('\\operatorname{stopgrad}'),
    ...closed,
    cost: noCost,
    sign: { positive: 'operand', nonZero: 'operand' },
    batch: linear,
  }),

  add: binary((a, b) => a + b, {
    commutative: true,
    ...closed,
    sign: { positive: 'sum', nonNegative: 'allOperands' },
    batch: { linearIn: [[0, 1]], signs: [1, 1] },
  }),
  sub: binary((a, b) => a - b, { ...closed, batch: { linearIn: [[0, 1]], signs: [1, -1] } }),
  mul: binary((a, b) => a * b, {
    commutative: true,
    ...closed,
    sign: { positive: 'allOperands', nonNegative: 'allOperands', nonZero: 'allOperands' },
    batch: { linearIn: [[0], [1]] },
  }),
  // A quotient is nonzero where its dividend is (given a divisor, it is defined).
  div: binary((a, b) => a / b, {
    finite: 'nonZeroDivisor',
    sign: { positive: 'allOperands', nonZero: 'operand' },
    batch: linear,
  }),
  pow: binary(Math.pow, {
    ...contract(),
    finite: 'polynomialPower',
    sign: { positive: 'operand', nonZero: 'integerPower' },
  }),
  // Ties go to the first operand; that is also where max's gradient goes.
  max: binary((a, b) => (a >= b ? a : b), {
    commutative: true,
    ...contract('\\max'),
    ...closed,
    sign: { positive: 'anyOperand', nonNegative: 'allOperands' },
  }),
  min: binary((a, b) => (a <= b ? a : b), {
    commutative: true,
    ...contract('\\min'),
    ...closed,
    sign: { positive: 'allOperands', nonNegative: 'allOperands' },
  }),
  // a * p with a fixed is 0 where a is, whatever p: linear in p; not in a, where p may be infinite.
  mulNoNan: binary((a, b) => (a === 0 ? 0 : a * b), {
    ...fullOnly(),
    ...closed,
    batch: { linearIn: [[1]] },
  }),
  greater: binary((a, b) => (a > b ? 1 : 0), { ...fullOnly(), ...closed }),
  greaterEqual: binary((a, b) => (a >= b ? 1 : 0), { ...fullOnly(), ...closed }),
  equal: binary((a, b) => (a === b ? 1 : 0), { commutative: true, ...fullOnly(), ...closed }),

  where: {
    arity: 3,
    kind: 'elementwise',
    commutative: false,
    cost: resultSize,
    ...fullOnly('\\operatorname{where}'),
    ...closed,
    batch: { linearIn: [[1, 2]] },
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
    // 2 m n k: a multiply and an add per term.
    cost: (node, [a]) => 2 * sizeOf(node.shape) * a!.shape.at(-1)!,
    ...closed,
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

  transpose: view((op, [x], attrs) => {
    const rank = x!.shape.length
    const perm = attrs.perm ?? x!.shape.map((_, i) => rank - 1 - i)
    const valid = perm.length === rank && [...perm].sort((p, q) => p - q).every((p, i) => p === i)
    if (!valid) shapeError(op, `perm [${perm}] is not a permutation of ${rank} axes`)
    return { shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype, attrs: { perm } }
  }),

  reshape: view((op, [x], attrs) => {
    const shape = attrs.shape ?? []
    if (sizeOf(shape) !== sizeOf(x!.shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      shapeError(op, `cannot reshape ${showShape(x!.shape)} to ${showShape(shape)}`)
    }
    return { shape, dtype: x!.dtype, attrs: { shape } }
  }),

  broadcast: view((op, [x], attrs) => {
    const shape = attrs.shape ?? []
    const result = broadcastShapes(x!.shape, shape)
    if (result === undefined || !sameShape(result, shape)) {
      shapeError(op, `cannot broadcast ${showShape(x!.shape)} to ${showShape(shape)}`)
    }
    return { shape, dtype: x!.dtype, attrs: { shape } }
  }),

  // x[start:end] along one axis: a view, as a reshape is.
  slice: view((op, [x], attrs) => {
    const axis = axisOf(op, attrs, x!.shape.length)
    const extent = x!.shape[axis]!
    const start = positionOf(op, attrs.start, extent, extent)
    const end = positionOf(op, attrs.end, extent, extent)
    if (end < start) shapeError(op, `end ${end} comes before start ${start}`)
    const shape = x!.shape.map((d, i) => (i === axis ? end - start : d))
    return { shape, dtype: x!.dtype, attrs: { axis, start, end } }
  }),
  // x[i] along one axis, which is dropped.
  index: view((op, [x], attrs) => {
    const axis = axisOf(op, attrs, x!.shape.length)
    const extent = x!.shape[axis]!
    const start = positionOf(op, attrs.start, extent, extent - 1)
    return { shape: x!.shape.filter((_, i) => i !== axis), dtype: x!.dtype, attrs: { axis, start } }
  }),
  concat: {
    arity: 2,
    kind: 'structural',
    commutative: false,
    cost: noCost,
    ...closed,
    sign: { positive: 'allOperands', nonNegative: 'allOperands', nonZero: 'allOperands' },
    infer: (op, inputs, attrs) => {
      const dtype = sameDType(op, inputs)
      const [a, b] = inputs as [Node, Node]
      const axis = axisOf(op, attrs, a.shape.length)
      const fits = a.shape.length === b.shape.length && a.shape.every((d, i) => i === axis || d === b.shape[i])
      if (!fits) shapeError(op, `cannot join ${showShape(a.shape)} and ${showShape(b.shape)} along axis ${axis}`)
      return { shape: a.shape.map((d, i) => (i === axis ? d + b.shape[i]! : d)), dtype, attrs: { axis } }
    },
  },

  sum: reduction(closed),
  reduceMax: reduction(closed),
  softmax: alongAxis(false, { ...closed, sign: { positive: 'always', nonNegative: 'always' } }),
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
