import { type NodeId, sameShape, sizeOf } from '@backprop/graph'
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

/** A 2-D operand as Gemm reads it: a value, whether Gemm transposes it, and its number of elements. */
interface Factor {
  readonly value: string
  readonly transposed: boolean
  readonly elements: number
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
  return { value: e.valueOf(id), transposed, elements: sizeOf(e.nodeOf(id).shape) }
}

/** The factor read the other way round: `F^T`. */
const flipped = (f: Factor): Factor => ({ ...f, transposed: !f.transposed })

/** Whether node `id` is a product of two matrices. */
const isMatrixProduct = (e: Emitter, id: NodeId): boolean => {
  const node = e.nodeOf(id)
  return node.op === 'matmul' && node.inputs.every((i) => e.nodeOf(i).shape.length === 2)
}

/** The factors of matrix product `id`. */
const factors = (e: Emitter, id: NodeId): [Factor, Factor] => e.nodeOf(id).inputs.map((i) => factor(e, i)) as [Factor, Factor]

/**
 * The factors of node `id` as one Gemm reads them, when `id` is read
 * nowhere else and is a matrix product or the transpose of one (itself read
 * nowhere else): then a consumer that folds the product into its own Gemm
 * leaves no node behind that computes it.
 */
const soleProduct = (e: Emitter, id: NodeId): [Factor, Factor] | undefined => {
  if (e.uses(id) !== 1) return undefined
  if (isMatrixProduct(e, id)) return factors(e, id)
  const [operand] = e.nodeOf(id).inputs
  if (!isMatrixTranspose(e, id) || !isMatrixProduct(e, operand!) || e.uses(operand!) !== 1) return undefined
  const [a, b] = factors(e, operand!)
  return [flipped(b), flipped(a)]
}

/** `a b`, each factor transposed or not, plus `c` if given (scaled as `attrs` say). */
const gemm = (e: Emitter, a: Factor, b: Factor, c?: string, attrs: Readonly<Record<string, { float: number }>> = {}): string =>
  e.emit('Gemm', [a.value, b.value, ...(c === undefined ? [] : [c])], { transA: a.transposed ? 1 : 0, transB: b.transposed ? 1 : 0, ...attrs })

/** The lowering of `matmul`: Gemm where a factor is a transposed matrix, MatMul otherwise. */
export const lowerMatmul = (e: Emitter, x: readonly string[]): string => {
  if (!isMatrixProduct(e, e.id)) return e.emit('MatMul', x)
  const [a, b] = factors(e, e.id)
  return a.transposed || b.transposed ? gemm(e, a, b) : e.emit('MatMul', [a.value, b.value])
}

/**
 * The lowering of `transpose`: of a matrix product read nowhere else,
 * (A B)^T = B^T A^T as one Gemm; otherwise a Transpose node.
 */
export const lowerTranspose = (e: Emitter, x: readonly string[]): string => {
  const [operand] = e.node.inputs as [NodeId]
  if (isMatrixTranspose(e, e.id) && isMatrixProduct(e, operand) && e.uses(operand) === 1) {
    const [a, b] = factors(e, operand)
    return gemm(e, flipped(b), flipped(a))
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
        const [a, b] = factors(e, p)
        return gemm(e, a, b, e.valueOf(v))
      }
    }
  }
  return e.emit('Add', x)
}

/** Whether node `id` holds a single element (a scalar, or a tensor of extents 1). */
const isSingle = (e: Emitter, id: NodeId): boolean => sizeOf(e.nodeOf(id).shape) === 1

/**
 * The lowering of `sub`: `P - s (A B)`, with `s` a single element and the
 * product and its scaling read nowhere else (an SGD step's `W - lr dW`,
 * where `dW` is a layer's weight gradient), is one Gemm computing
 * `-1 (s A) B + 1 P`: the smaller factor is scaled instead of the
 * product, and the subtraction is Gemm's accumulation onto `P`. In place of
 * a product, a scaling and a subtraction that each write a `P`-sized
 * matrix, ONNX Runtime copies `P` into the output and accumulates onto it.
 * The result differs from the one computed in the graph's order by the
 * rounding of `s` times the other factor first (the same reassociation as
 * any Gemm with alpha).
 */
export const lowerSub = (e: Emitter, x: readonly string[]): string => {
  const [p, m] = e.node.inputs as [NodeId, NodeId]
  const scaled = e.nodeOf(m)
  if (scaled.op === 'mul' && e.uses(m) === 1 && sameShape(e.nodeOf(p).shape, e.node.shape)) {
    for (const [s, g] of [scaled.inputs, [...scaled.inputs].reverse()] as [NodeId, NodeId][]) {
      const product = isSingle(e, s) && sameShape(e.nodeOf(g).shape, e.node.shape) ? soleProduct(e, g) : undefined
      if (product === undefined) continue
      const [a, b] = product
      const scale = (f: Factor): Factor => ({ ...f, value: e.emit('Mul', [e.valueOf(s), f.value]) })
      const [sa, sb] = a.elements <= b.elements ? [scale(a), b] : [a, scale(b)]
      return gemm(e, sa, sb, e.valueOf(p), { alpha: { float: -1 }, beta: { float: 1 } })
    }
  }
  return e.emit('Sub', x)
}

/** Whether node `id` is a constant whose every element is 0 (or -0). */
const isZeros = (e: Emitter, id: NodeId): boolean => {
  const { op, attrs } = e.nodeOf(id)
  return op === 'const' && (attrs.values === undefined ? attrs.value === 0 : attrs.values.every((v) => v === 0))
}

/**
 * A sum over every axis of `0 * x` (read nowhere else), for a vector or
 * matrix `x` without the dynamic batch axis, as a product with a row of
 * zeros: `zeros[m] x` for a vector, `sum(zeros[1, m] x)` for an `m`-row
 * matrix. Every finite element contributes 0 to either, and a NaN or an
 * infinity makes its product NaN, so the result is the same, 0 (of either
 * sign) or NaN, whatever the magnitudes; but the product reads `x` once
 * and writes one row, where the elementwise form writes all of `0 * x`
 * first. The trainer checks every updated parameter this way; otherwise
 * `undefined`.
 */
export const sumOfZeroTimes = (e: Emitter): string | undefined => {
  const [operand] = e.node.inputs as [NodeId]
  const mul = e.nodeOf(operand)
  if (mul.op !== 'mul' || e.uses(operand) !== 1) return undefined
  const [a, b] = mul.inputs as [NodeId, NodeId]
  const x = isZeros(e, a) ? b : isZeros(e, b) ? a : undefined
  if (x === undefined) return undefined
  const { shape, dtype } = e.nodeOf(x)
  const rank = shape.length
  if (!sameShape(shape, mul.shape) || e.node.attrs.axes!.length !== rank || rank < 1 || rank > 2 || e.batched(x)) return undefined
  const keepdims = e.node.attrs.keepdims!
  const zeros = (dims: readonly number[]): string => e.constant(new Array<number>(shape[0]!).fill(0), dims, dtype)
  // A vector's product is the sum itself: [m] by [m] is a scalar, [1, m] by [m] is [1].
  if (rank === 1) return e.emit('MatMul', [zeros(keepdims ? [1, shape[0]!] : [shape[0]!]), e.valueOf(x)])
  const row = e.emit('MatMul', [zeros([1, shape[0]!]), e.valueOf(x)])
  return e.emit('ReduceSum', [row, e.constant([0, 1], [2], 'i64')], { keepdims: keepdims ? 1 : 0 })
}
