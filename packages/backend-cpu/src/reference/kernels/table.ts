import { type OpName, ops } from '@backprop/graph'
import type { Kernel } from '../kernel.js'
import { binaryKernel, identityKernel, ternaryKernel, unaryKernel } from './elementwise.js'
import { constKernel, feedKernel } from './leaf.js'
import { broadcastKernel, concatKernel, sliceKernel, transposeKernel } from './layout.js'
import { matmulKernel } from './matmul.js'
import { reduceMaxKernel, sumKernel } from './reduce.js'
import { logSoftmaxKernel, logSumExpKernel, softmaxKernel } from './softmax.js'

/** The scalar semantics of an elementwise op, from the op table (the one place they are defined). */
const fnOf = (op: OpName): ((...args: number[]) => number) => {
  const fn = ops[op].fn
  if (fn === undefined) throw new Error(`op ${op} has no scalar function`)
  return fn
}

const unary = (op: OpName): Kernel => unaryKernel(fnOf(op))
const binary = (op: OpName): Kernel => binaryKernel(fnOf(op))

/**
 * The CPU kernel of every op. The type is total over `OpName`, so adding an
 * op to the graph package without a kernel here is a compile error.
 * Elementwise kernels take their meaning from `ops[op].fn`, so kink
 * conventions (`relu(0) = 0`, `sign(0) = 0`, ties of `max` going to the
 * first operand) cannot drift between the graph package and this backend.
 *
 * @category Kernels
 */
export const kernels: { readonly [K in OpName]: Kernel } = {
  input: feedKernel,
  param: feedKernel,
  const: constKernel,

  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  sqrt: unary('sqrt'),
  sin: unary('sin'),
  cos: unary('cos'),
  tan: unary('tan'),
  tanh: unary('tanh'),
  sigmoid: unary('sigmoid'),
  relu: unary('relu'),
  abs: unary('abs'),
  square: unary('square'),
  softplus: unary('softplus'),
  erf: unary('erf'),
  step: unary('step'),
  sign: unary('sign'),
  stopGradient: identityKernel,

  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: binary('pow'),
  max: binary('max'),
  min: binary('min'),
  mulNoNan: binary('mulNoNan'),
  greater: binary('greater'),
  greaterEqual: binary('greaterEqual'),
  equal: binary('equal'),
  where: ternaryKernel(fnOf('where')),

  matmul: matmulKernel,
  transpose: transposeKernel,
  reshape: identityKernel,
  broadcast: broadcastKernel,
  slice: sliceKernel,
  index: sliceKernel,
  concat: concatKernel,
  sum: sumKernel,
  reduceMax: reduceMaxKernel,
  softmax: softmaxKernel,
  logSoftmax: logSoftmaxKernel,
  logSumExp: logSumExpKernel,
}
