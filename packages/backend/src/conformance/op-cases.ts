import type { BinaryOp, Builder, DType, NodeId, OpName, UnaryOp } from '@backprop/graph'
import { choose, uniform } from './harness.js'
import { type Ref, refAlongAxis, refConcat, refMap, refMatmul, refReduce, refSlice, refTranspose } from './reference.js'

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





/**
 * The conformance row of a unary op: its scalar meaning, written out again
 * here rather than taken from the op table so that the suite checks the
 * table too; inputs where it is defined and well conditioned; and edge
 * values with their expected results, written by hand.
 */
interface UnaryRow {
  readonly ref: (x: number) => number
  readonly domain: readonly [number, number]
  readonly edges: readonly (readonly [number, number])[]
}

const unaryCases =
  (op: UnaryOp) =>
  ({ ref, domain: [lo, hi], edges }: UnaryRow): OpCase[] => [
    ...[[2, 3], [], [7], [2, 1, 3]].map(
      (shape): OpCase => ({
        label: show(shape),
        operands: [uniform(shape, lo, hi, seedOf(`${op} ${show(shape)}`))],
        build: (b, [x]) => b.unary(op, x!),
        expected: ([x]) => refMap(ref, [x!]),
      }),
    ),
    {
      label: `edge values ${edges.map(([x]) => x).join(', ')}`,
      operands: [vector(edges.map(([x]) => x))],
      build: (b, [x]) => b.unary(op, x!),
      expected: () => vector(edges.map(([, y]) => y)),
    },
  ]

/**
 * The error function for the reference, another way than the op table's:
 * `2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1))`, whose
 * terms are all positive (no cancellation), summed until they stop counting.
 */
const refErf = (x: number): number => {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? x : Math.sign(x)
  let term = x
  let sum = 0
  for (let n = 0; sum + term !== sum; n++) {
    sum += term
    term *= (2 * x * x) / (2 * n + 3)
  }
  return Math.min(1, Math.max(-1, (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum))
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


/**
 * The cases of a binary op from its scalar meaning (written out again, as
 * for unary ops) and how to draw its operands: away from poles, and with
 * ties where ties matter.
 */
const binaryCases =
  (op: BinaryOp) =>
  (ref: (a: number, b: number) => number, [drawA, drawB]: readonly [Draw, Draw]): OpCase[] =>
    binaryShapes.map(([sa, sb]) => {
      const label = `${show(sa)} with ${show(sb)}`
      return {
        label,
        operands: [drawA(sa, seedOf(`${op} a ${label}`)), drawB(sb, seedOf(`${op} b ${label}`))],
        build: (b, [x, y]) => b.binary(op, x!, y!),
        expected: ([x, y]) => refMap(ref, [x!, y!]),
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

// Parts and joins; some of transposed or sliced operands, which a backend may
// read as strided views.
const sliceCases: OpCase[] = (
  [
    [[5], 0, 1, 4, false],
    [[2, 3, 4], 1, 0, 2, false],
    [[2, 3, 4], 2, 1, 4, false],
    [[2, 3, 4], 0, 1, 2, false],
    [[3, 4], 1, 2, 2, false], // empty
    [[2, 3, 4], 1, 0, 2, true], // of the transpose [4,3,2]
  ] as const
).map(([shape, axis, start, end, transposed]) => ({
  label: `${show(shape)}${transposed ? ' transposed' : ''} axis ${axis} ${start}:${end}`,
  operands: [uniform(shape, -3, 3, seedOf(`slice ${show(shape)}`))],
  build: (b, [x]) => b.slice(transposed ? b.transpose(x!) : x!, start, end, axis),
  expected: ([x]) => refSlice(transposed ? refTranspose(x!, x!.shape.map((_, i) => x!.shape.length - 1 - i)) : x!, axis, start, end),
}))

const indexCases: OpCase[] = (
  [
    [[4], 0, 2],
    [[4], 0, -1],
    [[2, 3, 4], 0, 1],
    [[2, 3, 4], 1, 2],
    [[2, 3, 4], 2, 0],
    [[1, 1], 1, 0],
  ] as const
).map(([shape, axis, i]) => ({
  label: `${show(shape)} axis ${axis} at ${i}`,
  operands: [uniform(shape, -3, 3, seedOf(`index ${show(shape)}`))],
  build: (b, [x]) => b.index(x!, i, axis),
  expected: ([x]) => refSlice(x!, axis, i < 0 ? i + shape[axis]! : i, (i < 0 ? i + shape[axis]! : i) + 1, true),
}))

const concatCases: OpCase[] = (
  [
    [[2], [3], 0],
    [[2, 3], [1, 3], 0],
    [[2, 3], [2, 2], 1],
    [[2, 3, 2], [2, 1, 2], 1],
    [[2, 0], [2, 3], 1],
  ] as const
).map(([a, c, axis]): OpCase => ({
  label: `${show(a)} and ${show(c)} axis ${axis}`,
  operands: [uniform(a, -3, 3, seedOf(`concat a ${show(a)}`)), uniform(c, -3, 3, seedOf(`concat b ${show(c)}`))],
  build: (b, [x, y]) => b.concat([x!, y!], axis),
  expected: ([x, y]) => refConcat(x!, y!, axis),
})).concat([
  {
    label: 'three parts, one a slice of a transpose',
    operands: [uniform([3, 2], -3, 3, seedOf('concat three')), uniform([1, 3], -3, 3, seedOf('concat three b'))],
    build: (b, [x, y]) => b.concat([y!, b.slice(b.transpose(x!), 0, 1, 0), b.transpose(x!)], 0),
    expected: ([x, y]) => {
      const t = refTranspose(x!, [1, 0])
      return refConcat(refConcat(y!, refSlice(t, 0, 0, 1), 0), t, 0)
    },
  },
])

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
 * The conformance cases of every op, one row per op. The type is total over
 * `OpName`, so a new op does not compile without cases, and the suite also checks at run
 * time that every name in `opNames` has at least one.
 *
 * @internal
 */
export const opCases: { readonly [K in OpName]: readonly OpCase[] } = {
  input: fedCases(),
  param: fedCases('param'),
  const: constCases,
  neg: unaryCases('neg')({ ref: (x) => -x, domain: [-3, 3], edges: [[0, -0], [2.5, -2.5], [Infinity, -Infinity]] }),
  exp: unaryCases('exp')({ ref: Math.exp, domain: [-3, 3], edges: [[0, 1], [-1000, 0], [1, Math.E], [Infinity, Infinity]] }),
  log: unaryCases('log')({ ref: Math.log, domain: [0.1, 4], edges: [[1, 0], [0, -Infinity], [Math.E, 1], [-1, NaN]] }),
  sqrt: unaryCases('sqrt')({ ref: Math.sqrt, domain: [0, 4], edges: [[0, 0], [4, 2], [0.25, 0.5], [-1, NaN]] }),
  sin: unaryCases('sin')({ ref: Math.sin, domain: [-4, 4], edges: [[0, 0], [Math.PI / 2, 1]] }),
  cos: unaryCases('cos')({ ref: Math.cos, domain: [-4, 4], edges: [[0, 1], [Math.PI, -1]] }),
  tan: unaryCases('tan')({ ref: Math.tan, domain: [-1.3, 1.3], edges: [[0, 0], [Math.PI / 4, 1]] }),
  tanh: unaryCases('tanh')({ ref: Math.tanh, domain: [-3, 3], edges: [[0, 0], [30, 1], [-30, -1]] }),
  sigmoid: unaryCases('sigmoid')({ ref: (x) => 1 / (1 + Math.exp(-x)), domain: [-6, 6], edges: [[0, 0.5], [1000, 1], [-1000, 0], [Infinity, 1], [-Infinity, 0]] }),
  relu: unaryCases('relu')({ ref: (x) => (x > 0 ? x : 0), domain: [-3, 3], edges: [[0, 0], [-0, 0], [-1, 0], [2.5, 2.5], [-Infinity, 0]] }),
  abs: unaryCases('abs')({ ref: Math.abs, domain: [-3, 3], edges: [[-0, 0], [-2, 2], [3, 3]] }),
  square: unaryCases('square')({ ref: (x) => x * x, domain: [-3, 3], edges: [[-3, 9], [0, 0], [0.5, 0.25]] }),
  softplus: unaryCases('softplus')({ ref: (x) => Math.log(1 + Math.exp(x)), domain: [-6, 6], edges: [[0, Math.LN2], [1000, 1000], [-1000, 0], [Infinity, Infinity]] }),
  erf: unaryCases('erf')({ ref: refErf, domain: [-3, 3], edges: [[0, 0], [1, 0.8427007929497149], [-2, -0.9953222650189527], [Infinity, 1], [-Infinity, -1], [NaN, NaN]] }),
  step: unaryCases('step')({ ref: (x) => (x > 0 ? 1 : 0), domain: [-3, 3], edges: [[0, 0], [-0, 0], [1e-30, 1], [-2, 0], [Infinity, 1], [-Infinity, 0], [NaN, 0]] }),
  sign: unaryCases('sign')({ ref: Math.sign, domain: [-3, 3], edges: [[0, 0], [-0, 0], [-3, -1], [4, 1], [1e-30, 1]] }),
  stopGradient: unaryCases('stopGradient')({ ref: (x) => x, domain: [-3, 3], edges: [[NaN, NaN], [Infinity, Infinity], [-2, -2]] }),
  add: binaryCases('add')((a, b) => a + b, [range(-2, 2), range(-2, 2)]),
  sub: binaryCases('sub')((a, b) => a - b, [range(-2, 2), range(-2, 2)]),
  mul: binaryCases('mul')((a, b) => a * b, [range(-2, 2), range(-2, 2)]),
  div: binaryCases('div')((a, b) => a / b, [range(-2, 2), signed(0.5, 2)]),
  pow: binaryCases('pow')((a, b) => a ** b, [range(0.2, 2.5), range(-2, 2)]),
  max: binaryCases('max')((a, b) => (a >= b ? a : b), [among([-1, 0, 0.5, 1]), among([-1, 0, 0.5, 1])]),
  min: binaryCases('min')((a, b) => (a <= b ? a : b), [among([-1, 0, 0.5, 1]), among([-1, 0, 0.5, 1])]),
  mulNoNan: binaryCases('mulNoNan')((a, b) => (a === 0 ? 0 : a * b), [among([0, 0, 1.5, -2]), among([Infinity, NaN, -1, 3])]),
  greater: binaryCases('greater')((a, b) => (a > b ? 1 : 0), [among([-1, 0, 1]), among([-1, 0, 1])]),
  greaterEqual: binaryCases('greaterEqual')((a, b) => (a >= b ? 1 : 0), [among([-1, 0, 1]), among([-1, 0, 1])]),
  equal: binaryCases('equal')((a, b) => (a === b ? 1 : 0), [among([-1, 0, 1]), among([-1, 0, 1])]),
  where: whereCases,
  matmul: matmulCases,
  transpose: transposeCases,
  reshape: reshapeCases,
  broadcast: broadcastCases,
  slice: sliceCases,
  index: indexCases,
  concat: concatCases,
  sum: reductionCases('sum'),
  reduceMax: reductionCases('max'),
  softmax: axisCases('softmax'),
  logSoftmax: axisCases('logSoftmax'),
  logSumExp: axisCases('logSumExp'),
}
