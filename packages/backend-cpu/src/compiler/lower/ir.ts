import type { BinaryOp, DType, UnaryOp } from '@backprop/graph'

/**
 * A buffer of the executable's arena, numbered in creation order.
 *
 * @internal
 */
export type StorageId = number

/**
 * One buffer of the arena. `temp` buffers share memory by liveness; `feed`
 * buffers receive a copy of a fed tensor at the start of each run; `const`
 * buffers are filled once at compile time; `state` buffers hold parameters
 * that the executable updates in place (see `CpuCompileOptions.updates`).
 *
 * @internal
 */
export interface Storage {
  readonly id: StorageId
  readonly dtype: DType
  /** Number of elements. */
  readonly size: number
  readonly role: 'temp' | 'feed' | 'const' | 'state'
  /** `feed` and `state`: the feed's (parameter's) name. */
  readonly name?: string
  /** `const`: row-major values, or one value to fill with. */
  readonly values?: readonly number[] | number
}

/**
 * A strided read of a storage: element `[i_0, ..., i_{r-1}]` of a value of
 * `shape` is element `offset + sum_k i_k * strides[k]` of the storage.
 * Reshapes, transposes and broadcasts are views, never copies.
 *
 * @internal
 */
export interface View {
  readonly storage: StorageId
  readonly offset: number
  readonly shape: readonly number[]
  readonly strides: readonly number[]
}

/** Elementwise ops that a fused loop evaluates. @internal */
export type ElementwiseOp = Exclude<UnaryOp, 'stopGradient'> | BinaryOp | 'where'

/**
 * How a fused loop reads one operand, with the loop over `rows` x `cols`:
 * element `(r, c)` is at `offset + r * rowStride + c * colStride`, with
 * `colStride` 0 (the same value along a row) or 1 (contiguous).
 *
 * @internal
 */
export interface Leaf {
  readonly storage: StorageId
  readonly offset: number
  readonly rowStride: number
  readonly colStride: 0 | 1
  /** A scalar constant known at compile time: emitted as an immediate instead of a load. */
  readonly constant?: number
}

/**
 * One step of a fused expression, in topological order: a leaf operand, or
 * an op applied to earlier steps (by index). The last step is the result.
 *
 * @internal
 */
export type Expr = { readonly kind: 'leaf'; readonly leaf: number } | { readonly kind: 'op'; readonly op: ElementwiseOp; readonly args: readonly number[] }

/**
 * A chain (a DAG, in fact) of elementwise ops fused into one loop over a
 * `rows` x `cols` layout of the result: each element is computed from the
 * leaves in registers and stored once, contiguously, in `out`; or, with
 * `sum`, added up instead, `out` holding the one element of their sum.
 *
 * @internal
 */
export interface Group {
  readonly dtype: DType
  readonly rows: number
  readonly cols: number
  readonly leaves: readonly Leaf[]
  readonly exprs: readonly Expr[]
  readonly out: StorageId
  /**
   * The group's elements are summed (in float64, rounded once to the
   * dtype, like a `reduce` sum) rather than stored: a sum over all axes
   * fused into the loop that computes its operand, which then never
   * exists in memory (`sum(square(g))`, `sum(0 * w)`). Only whole groups
   * run as one call `(0, rows)` are summed, never a product's epilogue.
   */
  readonly sum?: true
}

/**
 * A two-dimensional strided operand of a matrix product: element `(i, j)`
 * at `offset + i * rowStride + j * colStride`.
 *
 * @internal
 */
export interface Operand2D {
  readonly storage: StorageId
  readonly offset: number
  readonly rowStride: number
  readonly colStride: number
}

/**
 * The instructions of a compiled plan. Each names the storages it reads and
 * writes, from which liveness (and so memory reuse) follows.
 *
 * @internal
 */
export type Instr =
  | { readonly kind: 'group'; readonly group: Group }
  | {
      /** `out = a b` (`[m,k] x [k,n]`), then, when given, the epilogue over the rows of `out`. */
      readonly kind: 'matmul'
      readonly dtype: DType
      readonly m: number
      readonly n: number
      readonly k: number
      readonly a: Operand2D
      readonly b: Operand2D
      readonly out: StorageId
      readonly epilogue?: Group
    }
  | {
      readonly kind: 'reduce'
      readonly op: 'sum' | 'max'
      readonly dtype: DType
      /** The contiguous input's shape and the reduced axes. */
      readonly shape: readonly number[]
      readonly axes: readonly number[]
      readonly input: StorageId
      readonly inputOffset: number
      readonly out: StorageId
    }
  | {
      readonly kind: 'axis'
      readonly op: 'softmax' | 'logSoftmax' | 'logSumExp'
      readonly dtype: DType
      readonly shape: readonly number[]
      readonly axis: number
      readonly input: StorageId
      readonly inputOffset: number
      readonly out: StorageId
    }
  | {
      /**
       * Copies a strided view into a contiguous storage, or, with `into`,
       * into the elements of `out` at that offset and those strides (a part
       * of a concatenation).
       */
      readonly kind: 'gather'
      readonly dtype: DType
      readonly from: View
      readonly out: StorageId
      readonly into?: { readonly offset: number; readonly strides: readonly number[] }
    }

/** The storages an instruction reads. @internal */
export const readsOf = (instr: Instr): StorageId[] => {
  switch (instr.kind) {
    case 'group':
      return instr.group.leaves.filter((l) => l.constant === undefined).map((l) => l.storage)
    case 'matmul':
      return [
        instr.a.storage,
        instr.b.storage,
        ...(instr.epilogue?.leaves.filter((l) => l.constant === undefined && l.storage !== instr.out).map((l) => l.storage) ?? []),
      ]
    case 'reduce':
    case 'axis':
      return [instr.input]
    case 'gather':
      return [instr.from.storage]
  }
}

/** The storages an instruction writes. @internal */
export const writesOf = (instr: Instr): StorageId[] => {
  switch (instr.kind) {
    case 'group':
      return [instr.group.out]
    case 'matmul':
      return instr.epilogue ? [instr.out, instr.epilogue.out] : [instr.out]
    default:
      return [instr.out]
  }
}
