import type { BinaryOp, Builder, DType, NodeId, OpName, UnaryOp } from '@backprop/graph'
import { choose, uniform } from './harness.js'
import { type Ref, refAlongAxis, refMap, refMatmul, refReduce, refTranspose } from './reference.js'

/**
 * One conformance case of an op: operand values (fed as inputs named `x0`,
 * `x1`, ... or as params), how to build the node under test from the operand
 * nodes, and how to compute the expected result from the operands as the
 * backend receives them (already rounded to float32 for f32 runs).
 *
 * @internal
 */
export interface OpCase {
  /** Shown in the test name. */
  readonly label: string
  /** The operands' reference values (float64; rounded when fed as f32). */
  readonly operands: readonly Ref[]
  /** Feed the operands as `param` nodes instead of `input` nodes. */
  readonly feedAs?: 'param'
  /** Builds the node under test. */
  readonly build: (b: Builder, operands: readonly NodeId[], dtype: DType) => NodeId
  /** The expected value, from the fed operands. */
  readonly expected: (operands: readonly Ref[]) => Ref
}

const show = (shape: readonly number[]): string => `[${shape.join(',')}]`

/** A string hash, so that each case draws its own values whatever the order of the table. */
const seedOf = (text: string): number => {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

const vector = (values: readonly number[]): Ref => ({ shape: [values.length], values })

// --- Leaves ----------------------------------------------------------------

const leafShapes: readonly (readonly number[])[] = [[2, 3], [], [0], [1, 1, 4]]

const fedCases = (feedAs?: 'param'): OpCase[] =>
  leafShapes.map((shape) => ({
    label: `${feedAs ?? 'input'} ${show(shape)}`,
    operands: [uniform(shape, -5, 5, seedOf(`leaf ${show(shape)}`))],
    ...(feedAs ? { feedAs } : {}),
    build: (_b, [x]) => x!,
    expected: ([x]) => x!,
  }))

const constCases: OpCase[] = [
  {
    label: 'tensor constant [2,2]',
    operands: [],
    build: (b, _, dtype) => b.constant([0.1, -2.5, 1e-3, 3], [2, 2], dtype),
    expected: () => ({ shape: [2, 2], values: [0.1, -2.5, 1e-3, 3] }),
  },
  {
    label: 'scalar splat to [2,3]',
    operands: [],
    build: (b, _, dtype) => b.scalar(0.1, dtype, [2, 3]),
    expected: () => ({ shape: [2, 3], values: new Array(6).fill(0.1) }),
  },
  {
    label: 'scalar',
    operands: [],
    build: (b, _, dtype) => b.scalar(-7.25, dtype),
    expected: () => ({ shape: [], values: [-7.25] }),
  },
  {
    label: 'empty [0]',
    operands: [],
    build: (b, _, dtype) => b.constant([], [0], dtype),
    expected: () => ({ shape: [0], values: [] }),
  },
]

// --- Elementwise -----------------------------------------------------------

// The scalar meaning of each elementwise op, written out again here rather
// than taken from the op table, so the suite checks the table too.
const refUnary: { readonly [K in UnaryOp]: (x: number) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => (x > 0 ? x : 0),
  abs: Math.abs,
  square: (x) => x * x,
  softplus: (x) => Math.log(1 + Math.exp(x)),
  sign: Math.sign,
  stopGradient: (x) => x,
}

const refBinary: { readonly [K in BinaryOp]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  max: (a, b) => (a >= b ? a : b),
  min: (a, b) => (a <= b ? a : b),
  mulNoNan: (a, b) => (a === 0 ? 0 : a * b),
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
}

/** Inputs where each unary op is defined and well conditioned. */
const unaryDomain: { readonly [K in UnaryOp]: readonly [number, number] } = {
  neg: [-3, 3],
  exp: [-3, 3],
  log: [0.1, 4],
  sqrt: [0, 4],
  sin: [-4, 4],
  cos: [-4, 4],
  tan: [-1.3, 1.3],
  tanh: [-3, 3],
  sigmoid: [-6, 6],
  relu: [-3, 3],
  abs: [-3, 3],
  square: [-3, 3],
  softplus: [-6, 6],
  sign: [-3, 3],
  stopGradient: [-3, 3],
}

/** Edge values per unary op with their expected results, written by hand. */
const unarySpecial: { readonly [K in UnaryOp]: readonly (readonly [number, number])[] } = {
  neg: [[0, -0], [2.5, -2.5], [Infinity, -Infinity]],
  exp: [[0, 1], [-1000, 0], [1, Math.E], [Infinity, Infinity]],
  log: [[1, 0], [0, -Infinity], [Math.E, 1], [-1, NaN]],
  sqrt: [[0, 0], [4, 2], [0.25, 0.5], [-1, NaN]],
  sin: [[0, 0], [Math.PI / 2, 1]],
  cos: [[0, 1], [Math.PI, -1]],
  tan: [[0, 0], [Math.PI / 4, 1]],
  tanh: [[0, 0], [30, 1], [-30, -1]],
  sigmoid: [[0, 0.5], [1000, 1], [-1000, 0], [Infinity, 1], [-Infinity, 0]],
  relu: [[0, 0], [-0, 0], [-1, 0], [2.5, 2.5], [-Infinity, 0]],
  abs: [[-0, 0], [-2, 2], [3, 3]],
  square: [[-3, 9], [0, 0], [0.5, 0.25]],
  softplus: [[0, Math.LN2], [1000, 1000], [-1000, 0], [Infinity, Infinity]],
  sign: [[0, 0], [-0, 0], [-3, -1], [4, 1], [1e-30, 1]],
  stopGradient: [[NaN, NaN], [Infinity, Infinity], [-2, -2]],
}

const unaryCases = (op: UnaryOp): OpCase[] => {
  const [lo, hi] = unaryDomain[op]
  const fn = refUnary[op]
  const special = unarySpecial[op]
  return [
    ...[[2, 3], [], [7], [2, 1, 3]].map(
      (shape): OpCase => ({
        label: show(shape),
        operands: [uniform(shape, lo, hi, seedOf(`${op} ${show(shape)}`))],
        build: (b, [x]) => b.unary(op, x!),
        expected: ([x]) => refMap(fn, [x!]),
      }),
    ),
    {
      label: `edge values ${special.map(([x]) => x).join(', ')}`,
      operands: [vector(special.map(([x]) => x))],
      build: (b, [x]) => b.unary(op, x!),
      expected: () => vector(special.map(([, y]) => y)),
    },
  ]
}

/** Shape pairs covering equal shapes, scalars on either side, rows, columns, rank 3 and empty tensors. */
const binaryShapes: readonly (readonly [readonly number[], readonly number[]])[] = [
  [[2, 3], [2, 3]],
  [[], [2, 3]],
  [[2, 3], []],
  [[], []],
  [[3], [2, 3]],
  [[2, 3], [3]],
  [[2, 1], [1, 3]],
  [[1, 3], [2, 1]],
  [[2, 1], [2, 3]],
  [[1], [5]],
  [[3, 1, 2], [4, 1]],
  [[2, 1, 4], [3, 1]],
  [[2, 0], [2, 1]],
]

type Draw = (shape: readonly number[], seed: number) => Ref

const signed = (lo: number, hi: number): Draw => (shape, seed) => {
  const magnitude = uniform(shape, lo, hi, seed)
  const sign = choose(shape, [-1, 1], seed + 1)
  return { shape, values: magnitude.values.map((v, i) => v * sign.values[i]!) }
}
const range = (lo: number, hi: number): Draw => (shape, seed) => uniform(shape, lo, hi, seed)
const among = (choices: readonly number[]): Draw => (shape, seed) => choose(shape, choices, seed)

/** How to draw each binary op's operands: away from poles, and with ties where ties matter. */
const binaryDomain: { readonly [K in BinaryOp]: readonly [Draw, Draw] } = {
  add: [range(-2, 2), range(-2, 2)],
  sub: [range(-2, 2), range(-2, 2)],
  mul: [range(-2, 2), range(-2, 2)],
  div: [range(-2, 2), signed(0.5, 2)],
  pow: [range(0.2, 2.5), range(-2, 2)],
  max: [among([-1, 0, 0.5, 1]), among([-1, 0, 0.5, 1])],
  min: [among([-1, 0, 0.5, 1]), among([-1, 0, 0.5, 1])],
  mulNoNan: [among([0, 0, 1.5, -2]), among([Infinity, NaN, -1, 3])],
  greater: [among([-1, 0, 1]), among([-1, 0, 1])],
  greaterEqual: [among([-1, 0, 1]), among([-1, 0, 1])],
  equal: [among([-1, 0, 1]), among([-1, 0, 1])],
}

const binaryCases = (op: BinaryOp): OpCase[] =>
  binaryShapes.map(([sa, sb]) => {
    const [drawA, drawB] = binaryDomain[op]
    const label = `${show(sa)} with ${show(sb)}`
    return {
      label,
      operands: [drawA(sa, seedOf(`${op} a ${label}`)), drawB(sb, seedOf(`${op} b ${label}`))],
      build: (b, [x, y]) => b.binary(op, x!, y!),
      expected: ([x, y]) => refMap(refBinary[op], [x!, y!]),
    }
  })

const whereShapes: readonly (readonly [readonly number[], readonly number[], readonly number[]])[] = [
  [[2, 3], [2, 3], [2, 3]],
  [[2, 1], [3], []],
  [[], [2, 3], [2, 3]],
  [[1, 3], [2, 1], [2, 3]],
  [[3, 1, 1], [1, 2, 1], [1, 1, 4]],
]

const whereCases: OpCase[] = whereShapes.map(([sc, sa, sb]) => {
  const label = `cond ${show(sc)}, ${show(sa)}, ${show(sb)}`
  return {
    label,
    operands: [
      choose(sc, [0, 1, 2, -1], seedOf(`where c ${label}`)),
      uniform(sa, -2, 2, seedOf(`where a ${label}`)),
      uniform(sb, -2, 2, seedOf(`where b ${label}`)),
    ],
    build: (b, [c, x, y]) => b.where(c!, x!, y!),
    expected: (xs) => refMap((c, a, b) => (c !== 0 ? a : b), xs),
  }
})

// --- Structural ------------------------------------------------------------

const matmulShapes: readonly (readonly [number, number, number])[] = [
  [2, 3, 4],
  [1, 5, 1],
  [5, 1, 4],
  [1, 1, 1],
  [3, 3, 3],
  [1, 6, 3],
  [4, 6, 1],
  [2, 0, 3],
  [9, 17, 6],
  [16, 33, 19],
]

const matmulCases: OpCase[] = matmulShapes.map(([m, k, n]) => {
  const label = `[${m},${k}] x [${k},${n}]`
  return {
    label,
    operands: [uniform([m, k], -1, 1, seedOf(`matmul a ${label}`)), uniform([k, n], -1, 1, seedOf(`matmul b ${label}`))],
    build: (b, [x, y]) => b.matmul(x!, y!),
    expected: ([x, y]) => refMatmul(x!, y!),
  }
})

const transposeCases: OpCase[] = [
  { shape: [2, 3], perm: undefined },
  { shape: [1, 5], perm: undefined },
  { shape: [4], perm: undefined },
  { shape: [], perm: undefined },
  { shape: [2, 3, 4], perm: undefined },
  ...[[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]].map((perm) => ({ shape: [2, 3, 4], perm })),
  { shape: [2, 1, 3, 2], perm: [3, 1, 0, 2] },
].map(({ shape, perm }) => ({
  label: `${show(shape)} perm ${perm ? show(perm) : 'reversed'}`,
  operands: [uniform(shape, -3, 3, seedOf(`transpose ${show(shape)}`))],
  build: (b, [x]) => b.transpose(x!, perm),
  expected: ([x]) => refTranspose(x!, perm ?? shape.map((_, i) => shape.length - 1 - i)),
}))

const reshapeCases: OpCase[] = [
  [[2, 3], [3, 2]],
  [[6], [1, 2, 3]],
  [[], [1, 1]],
  [[1, 1], []],
  [[2, 3, 4], [4, 6]],
  [[2, 0], [0, 5]],
].map(([from, to]) => ({
  label: `${show(from!)} to ${show(to!)}`,
  operands: [uniform(from!, -3, 3, seedOf(`reshape ${show(from!)}`))],
  build: (b, [x]) => b.reshape(x!, to!),
  expected: ([x]) => ({ shape: to!, values: x!.values }),
}))

const broadcastCases: OpCase[] = [
  [[], [2, 3]],
  [[3], [2, 3]],
  [[2, 1], [2, 4]],
  [[1, 3, 1], [2, 3, 4]],
  [[2, 1, 1], [2, 2, 3]],
  [[3], [3]],
  [[3], [1, 3]],
  [[1], [0]],
].map(([from, to]) => ({
  label: `${show(from!)} to ${show(to!)}`,
  operands: [uniform(from!, -3, 3, seedOf(`broadcast ${show(from!)}`))],
  build: (b, [x]) => b.broadcast(x!, to!),
  expected: ([x]) => refMap((v) => v, [x!], to!),
}))

// --- Reductions and axis ops -----------------------------------------------

const normalise = (axes: readonly number[], rank: number): number[] =>
  [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q)

const reductionAxes: readonly (readonly [readonly number[], readonly number[] | undefined])[] = [
  [[2, 3, 4], undefined],
  [[2, 3, 4], [0]],
  [[2, 3, 4], [1]],
  [[2, 3, 4], [2]],
  [[2, 3, 4], [-1]],
  [[2, 3, 4], [0, 2]],
  [[2, 3, 4], [1, 2]],
  [[2, 3, 4], [0, 1]],
  [[2, 3, 4], [0, 1, 2]],
  [[2, 3, 4], []],
  [[], undefined],
  [[5], [0]],
  [[4, 1], [1]],
  [[1, 4], [0]],
  [[0, 3], [0]],
]

const reductionCases = (kind: 'sum' | 'max'): OpCase[] =>
  reductionAxes.flatMap(([shape, axes]) =>
    [false, true].map((keepdims) => ({
      label: `${show(shape)} axes ${axes ? show(axes) : 'all'}${keepdims ? ' keepdims' : ''}`,
      // All negative for max, so that starting from 0 instead of -Infinity shows.
      operands: [kind === 'sum' ? uniform(shape, -3, 3, seedOf(`sum ${show(shape)}`)) : uniform(shape, -9, -0.5, seedOf(`max ${show(shape)}`))],
      build: (b: Builder, [x]: readonly NodeId[]) =>
        kind === 'sum' ? b.sum(x!, axes, keepdims) : b.reduceMax(x!, axes, keepdims),
      expected: ([x]: readonly Ref[]) =>
        refReduce(x!, kind, normalise(axes ?? shape.map((_, i) => i), shape.length), keepdims),
    })),
  )

const large: Ref = { shape: [2, 3], values: [1000, 1001, 999, -1000, -1002, -1001] }
const mixed: Ref = { shape: [2, 3], values: [1000, -1000, 0, 1e4, 1e4, -1e4] }

const axisInputs: readonly (readonly [string, Ref, readonly number[]])[] = [
  ['[2,3,4]', uniform([2, 3, 4], -3, 3, seedOf('axis [2,3,4]')), [0, 1, 2, -1]],
  ['[5]', uniform([5], -3, 3, seedOf('axis [5]')), [0]],
  ['[1,1]', { shape: [1, 1], values: [4] }, [0, 1]],
  ['large [2,3]', large, [0, 1]],
  ['large mixed [2,3]', mixed, [0, 1]],
]

const axisCases = (kind: 'softmax' | 'logSoftmax' | 'logSumExp'): OpCase[] =>
  axisInputs.flatMap(([name, x, axes]) =>
    axes.flatMap((axis) =>
      (kind === 'logSumExp' ? [false, true] : [false]).map((keepdims) => ({
        label: `${name} axis ${axis}${keepdims ? ' keepdims' : ''}`,
        operands: [x],
        build: (b: Builder, [id]: readonly NodeId[]) =>
          kind === 'softmax'
            ? b.softmax(id!, axis)
            : kind === 'logSoftmax'
              ? b.logSoftmax(id!, axis)
              : b.logSumExp(id!, axis, keepdims),
        expected: ([v]: readonly Ref[]) => refAlongAxis(v!, kind, normalise([axis], x.shape.length)[0]!, keepdims),
      })),
    ),
  )

/**
 * The conformance cases of every op. The type is total over `OpName`, so a
 * new op does not compile without cases, and the suite also checks at run
 * time that every name in `opNames` has at least one.
 *
 * @internal
 */
export const opCases: { readonly [K in OpName]: readonly OpCase[] } = {
  input: fedCases(),
  param: fedCases('param'),
  const: constCases,
  neg: unaryCases('neg'),
  exp: unaryCases('exp'),
  log: unaryCases('log'),
  sqrt: unaryCases('sqrt'),
  sin: unaryCases('sin'),
  cos: unaryCases('cos'),
  tan: unaryCases('tan'),
  tanh: unaryCases('tanh'),
  sigmoid: unaryCases('sigmoid'),
  relu: unaryCases('relu'),
  abs: unaryCases('abs'),
  square: unaryCases('square'),
  softplus: unaryCases('softplus'),
  sign: unaryCases('sign'),
  stopGradient: unaryCases('stopGradient'),
  add: binaryCases('add'),
  sub: binaryCases('sub'),
  mul: binaryCases('mul'),
  div: binaryCases('div'),
  pow: binaryCases('pow'),
  max: binaryCases('max'),
  min: binaryCases('min'),
  mulNoNan: binaryCases('mulNoNan'),
  greater: binaryCases('greater'),
  greaterEqual: binaryCases('greaterEqual'),
  equal: binaryCases('equal'),
  where: whereCases,
  matmul: matmulCases,
  transpose: transposeCases,
  reshape: reshapeCases,
  broadcast: broadcastCases,
  sum: reductionCases('sum'),
  reduceMax: reductionCases('max'),
  softmax: axisCases('softmax'),
  logSoftmax: axisCases('logSoftmax'),
  logSumExp: axisCases('logSumExp'),
}
