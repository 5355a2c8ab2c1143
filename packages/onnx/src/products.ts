import type { NodeId } from '@backprop/graph'
import type { Emitter } from './emitter.js'

/**
 * Matrix products as ONNX Runtime runs them fastest: a transposed factor is
 * read in place through Gemm's `transA`/`transB` flags instead of copied by a
 * Transpose node first, and the transpose of a product, (A B)^T = B^T A^T, is
 * one Gemm of the swapped factors. Symbolic differentiation writes both
 * shapes in every layer's backward pass (a weight gradient is (x^T g)^T);
 * each Transpose left in would copy a whole weight-sized matrix per run.
 * The products are the same sums in the same order, only read differently.
 */

/** A 2-D operand as Gemm reads it: a value and whether Gemm transposes it. */
interface Factor {
  readonly value: string
  readonly transposed: boolean
}

/** Whether node `id` swaps the two axes of a matrix. */
const isMatrixTranspose = (e: Emitter, id: NodeId): boolean => {
  const node = e.nodeOf(id)
  return node.op === 'transpose' && node.shape.length === 2 && node.attrs.perm![0] === 1
}

/** Node `id` as a Gemm factor: through its matrix transposes (a transpose of a transpose is the matrix itself). */
const factor = (e: Emitter, id: NodeId): Factor => {
  let transposed = false
  while (isMatrixTranspose(e, id)) {
    id = e.nodeOf(id).inputs[0]!
    transposed = !transposed
  }
  return { value: e.valueOf(id), transposed }
}

/** Whether node `id` is a product of two matrices. */
const isMatrixProduct = (e: Emitter, id: NodeId): boolean => {
  const node = e.nodeOf(id)
  return node.op === 'matmul' && node.inputs.every((i) => e.nodeOf(i).shape.length === 2)
}

/** `a b`, each factor transposed or not. */
const gemm = (e: Emitter, a: Factor, b: Factor): string =>
  e.emit('Gemm', [a.value, b.value], { transA: a.transposed ? 1 : 0, transB: b.transposed ? 1 : 0 })

/** The lowering of `matmul`: Gemm where a factor is a transposed matrix, MatMul otherwise. */
export const lowerMatmul = (e: Emitter, x: readonly string[]): string => {
  if (!isMatrixProduct(e, e.id)) return e.emit('MatMul', x)
  const [a, b] = e.node.inputs.map((i) => factor(e, i)) as [Factor, Factor]
  return a.transposed || b.transposed ? gemm(e, a, b) : e.emit('MatMul', [a.value, b.value])
}

/**
 * The lowering of `transpose`: of a matrix product read nowhere else,
 * (A B)^T = B^T A^T as one Gemm; otherwise a Transpose node.
 */
export const lowerTranspose = (e: Emitter, x: readonly string[]): string => {
  const [operand] = e.node.inputs as [NodeId]
  if (isMatrixTranspose(e, e.id) && isMatrixProduct(e, operand) && e.uses(operand) === 1) {
    const [a, b] = e.nodeOf(operand).inputs.map((i) => factor(e, i)) as [Factor, Factor]
    return gemm(e, { value: b.value, transposed: !b.transposed }, { value: a.value, transposed: !a.transposed })
  }
  return e.emit('Transpose', x, { perm: e.node.attrs.perm! })
}

/** Whether node `id` is a vector `[n]` or `[1, n]` that a matrix of `n` columns adds to each of its rows. */
const isRowVector = (e: Emitter, id: NodeId, columns: number): boolean => {
  const { shape } = e.nodeOf(id)
  return (shape.length === 1 && shape[0] === columns) || (shape.length === 2 && shape[0] === 1 && shape[1] === columns)
}

/**
 * The lowering of `add`: a matrix product read nowhere else plus a row
 * vector (a layer's `x W^T + b`) is one Gemm with the vector as its C
 * operand, which ONNX Runtime writes into the product's output before
 * accumulating the product onto it, instead of a second pass over the
 * output. The sums agree to rounding (the bias is added first, not last).
 */
export const lowerAdd = (e: Emitter, x: readonly string[]): string => {
  const { inputs, shape } = e.node
  if (shape.length === 2) {
    for (const [p, v] of [inputs, [...inputs].reverse()] as [NodeId, NodeId][]) {
      if (isMatrixProduct(e, p) && e.uses(p) === 1 && isRowVector(e, v, shape[1]!)) {
        const [a, b] = e.nodeOf(p).inputs.map((i) => factor(e, i)) as [Factor, Factor]
        return e.emit('Gemm', [a.value, b.value, e.valueOf(v)], { transA: a.transposed ? 1 : 0, transB: b.transposed ? 1 : 0 })
      }
    }
  }
  return e.emit('Add', x)
}
