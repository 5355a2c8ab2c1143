import { erfSeriesCoefficients, type OpName, sameShape, sizeOf } from '@backprop/graph'
import { dataTypeOf, type Emitter } from './emitter.js'
import { lowerAdd, lowerMatmul, lowerSub, lowerTranspose, sumOfZeroTimes } from './products.js'

/**
 * How one op is written in ONNX (opset 17): given the emitter of the node
 * and the names of its operands' values, append ONNX nodes and return the
 * name of the value that holds the node's result. Leaves are written by the
 * exporter (inputs, initialisers), so their rows here only handle constants.
 *
 * @category Export
 */
export type Lowering = (e: Emitter, x: readonly string[]) => string

/** An ONNX operator applied to the operands as they are. */
const same =
  (opType: string): Lowering =>
  (e, x) =>
    e.emit(opType, x)

/**
 * An ONNX operator in float32, and a composite of ops with double kernels in
 * float64 (ONNX Runtime's CPU provider implements some operators for float
 * only: Tan and Softplus among ours).
 */
const floatOnly =
  (opType: string, f64: Lowering): Lowering =>
  (e, x) =>
    e.node.dtype === 'f32' ? e.emit(opType, x) : f64(e, x)

/** A comparison (ONNX answers bool) as 1 or 0 in the node's dtype. */
const compare =
  (opType: string): Lowering =>
  (e, x) =>
    e.emit('Cast', [e.emit(opType, x)], { to: dataTypeOf(e.node.dtype) })

/** `cond ? a : b` elementwise, with our `where`'s reading of `cond` (anything but 0 is true). */
const select = (e: Emitter, cond: string, a: string, b: string): string => e.emit('Where', [cond, a, b])

/**
 * `max` and `min` with ties (0 and -0 included) to the first operand: ONNX
 * Runtime's Max and Min give ties to their second operand, so the operands
 * go in swapped. (Where would select exactly but writes -0 as 0.) A NaN
 * first operand gives NaN here, where the op table gives the other operand.
 */
const tiesToFirst =
  (opType: 'Max' | 'Min'): Lowering =>
  (e, [a, b]) =>
    e.emit(opType, [b!, a!])

/** A reduction over `axes`; no axes is no reduction (ONNX would reduce them all). */
const reduceOver = (e: Emitter, opType: string, x: string, axes: readonly number[], keepdims: boolean, axesAsInput: boolean): string => {
  if (axes.length === 0) return e.emit('Identity', [x])
  return axesAsInput
    ? e.emit(opType, [x, e.constant(axes, [axes.length], 'i64')], { keepdims: keepdims ? 1 : 0 })
    : e.emit(opType, [x], { axes, keepdims: keepdims ? 1 : 0 })
}

/**
 * A reshape that only drops the unit axes a sum kept (the gradient of a
 * broadcast bias is written `reshape(sum(g, [0], keepdims))`), when that sum
 * is read nowhere else: the sum without keeping them, one node instead of
 * two. Otherwise `undefined`.
 */
const dropKeptAxes = (e: Emitter): string | undefined => {
  const operand = e.node.inputs[0]!
  const sum = e.nodeOf(operand)
  if (sum.op !== 'sum' || !sum.attrs.keepdims || e.uses(operand) !== 1) return undefined
  const axes = sum.attrs.axes!
  const source = sum.inputs[0]!
  const kept = e.nodeOf(source).shape.filter((_, axis) => !axes.includes(axis))
  if (!sameShape(kept, e.node.shape)) return undefined
  return reduceOver(e, 'ReduceSum', e.valueOf(source), axes, false, true)
}

/**
 * `log(1 + u)` for `u >= 0` with all its digits where `u` is tiny (Goldberg's
 * trick: `log(w) * u / (w - 1)` with `w = 1 + u` rounded), as ONNX has no log1p.
 */
const log1p = (e: Emitter, u: string): string => {
  const w = e.emit('Add', [e.scalar(1), u])
  const wm1 = e.emit('Sub', [w, e.scalar(1)])
  const scaled = e.emit('Div', [e.emit('Mul', [e.emit('Log', [w]), u]), wm1])
  return select(e, e.emit('Equal', [wm1, e.scalar(0)]), u, scaled)
}

/**
 * erf in float64, for which ONNX Runtime has no Erf kernel: the op table's
 * own method as ONNX nodes (its Maclaurin series in x^2 below |x| = 1.5; above,
 * 1 - erfc(|x|) from erfc's continued fraction of depth 80, signed), both
 * computed and one selected, so it agrees with the table to about an ulp.
 */
const erf64: Lowering = (e, [x]) => {
  const mul = (a: string, b: string): string => e.emit('Mul', [a, b])
  const add = (a: string, b: string): string => e.emit('Add', [a, b])
  const a = e.emit('Abs', [x!])
  const z = mul(x!, x!)
  const series = erfSeriesCoefficients(25)
  const p = series.slice(0, -1).reduceRight((acc, c) => add(e.scalar(c), mul(z, acc)), e.scalar(series.at(-1)!))
  const small = mul(mul(e.scalar(2 / Math.sqrt(Math.PI)), x!), p)
  // The fraction at max(|x|, 1.5), so that it stays finite where the series is taken.
  const u = e.emit('Max', [a, e.scalar(1.5)])
  let t = u
  for (let n = 80; n >= 1; n--) t = add(u, e.emit('Div', [e.scalar(n / 2), t]))
  const erfc = e.emit('Div', [e.emit('Div', [e.emit('Exp', [e.emit('Neg', [mul(u, u)])]), e.scalar(Math.sqrt(Math.PI))]), t])
  const large = mul(e.emit('Sign', [x!]), e.emit('Sub', [e.scalar(1), erfc]))
  return select(e, e.emit('Less', [a, e.scalar(1.5)]), small, large)
}

/**
 * The ONNX lowering of every op, one row per op in the graph package's
 * order. The type is total over `OpName`, so an op added to the graph
 * package without a row here is a compile error. Rows reproduce the op
 * table's meaning exactly, conventions at kinks included (`relu(0) = 0`,
 * `sign(0) = 0`, ties of `max` to the first operand).
 *
 * @category Export
 */
export const lowerings: { readonly [K in OpName]: Lowering } = {
  // Inputs and params are graph inputs or initialisers, named by the exporter.
  input: (e) => e.fail('inputs are written by the exporter'),
  param: (e) => e.fail('params are written by the exporter'),
  const: (e) => {
    const { shape, attrs } = e.node
    if (attrs.values !== undefined) return e.constant(attrs.values, shape, e.node.dtype)
    // A splat is one scalar expanded, so a [64,784] constant costs 8 bytes in the file.
    if (sizeOf(shape) <= 1) return e.constant([attrs.value!], shape, e.node.dtype)
    return e.emit('Expand', [e.scalar(attrs.value!), e.shape()])
  },

  neg: same('Neg'),
  exp: same('Exp'),
  log: same('Log'),
  sqrt: same('Sqrt'),
  sin: same('Sin'),
  cos: same('Cos'),
  tan: floatOnly('Tan', (e, x) => e.emit('Div', [e.emit('Sin', x), e.emit('Cos', x)])),
  tanh: same('Tanh'),
  sigmoid: same('Sigmoid'),
  relu: same('Relu'),
  abs: same('Abs'),
  square: (e, [x]) => e.emit('Mul', [x!, x!]),
  // softplus(x) = max(x, 0) + log1p(exp(-|x|)), which neither overflows nor loses small values.
  softplus: floatOnly('Softplus', (e, [x]) =>
    e.emit('Add', [e.emit('Relu', [x!]), log1p(e, e.emit('Exp', [e.emit('Neg', [e.emit('Abs', [x!])])]))]),
  ),
  erf: floatOnly('Erf', erf64),
  step: (e, [x]) => compare('Greater')(e, [x!, e.scalar(0)]),
  sign: same('Sign'),
  stopGradient: same('Identity'),

  add: lowerAdd,
  sub: lowerSub,
  mul: same('Mul'),
  div: same('Div'),
  pow: same('Pow'),
  max: tiesToFirst('Max'),
  min: tiesToFirst('Min'),
  // a * b, except 0 wherever a is 0 (even where b is infinite or NaN).
  mulNoNan: (e, [a, b]) => select(e, e.emit('Equal', [a!, e.scalar(0)]), e.scalar(0), e.emit('Mul', [a!, b!])),
  greater: compare('Greater'),
  greaterEqual: compare('GreaterOrEqual'),
  equal: compare('Equal'),
  where: (e, [c, a, b]) => select(e, e.emit('Not', [e.emit('Equal', [c!, e.scalar(0)])]), a!, b!),

  matmul: lowerMatmul,
  transpose: lowerTranspose,
  // allowzero: an extent 0 in the target is 0, not "copy the input's extent".
  reshape: (e, [x]) => dropKeptAxes(e) ?? e.emit('Reshape', [x!, e.shape()], { allowzero: 1 }),
  broadcast: (e, [x]) => e.emit('Expand', [x!, e.shape()]),
  slice: (e, [x]) => {
    const { axis, start, end } = e.node.attrs
    return e.emit('Slice', [x!, e.constant([start!], [1], 'i64'), e.constant([end!], [1], 'i64'), e.constant([axis!], [1], 'i64')])
  },
  // A scalar index drops the axis, as ours does.
  index: (e, [x]) => e.emit('Gather', [x!, e.constant([e.node.attrs.start!], [], 'i64')], { axis: e.node.attrs.axis! }),
  concat: (e, x) => e.emit('Concat', x, { axis: e.node.attrs.axis! }),
  sum: (e, [x]) => sumOfZeroTimes(e) ?? reduceOver(e, 'ReduceSum', x!, e.node.attrs.axes!, e.node.attrs.keepdims!, true),
  reduceMax: (e, [x]) => reduceOver(e, 'ReduceMax', x!, e.node.attrs.axes!, e.node.attrs.keepdims!, false),
  softmax: (e, x) => e.emit('Softmax', x, { axis: e.node.attrs.axis! }),
  logSoftmax: (e, x) => e.emit('LogSoftmax', x, { axis: e.node.attrs.axis! }),
  logSumExp: (e, [x]) => reduceOver(e, 'ReduceLogSumExp', x!, [e.node.attrs.axis!], e.node.attrs.keepdims!, false),
}
