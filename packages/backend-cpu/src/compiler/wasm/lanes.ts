import type { DType } from '@backprop/graph'
import { op, simd } from './opcodes.js'

/**
 * The instructions of one element type, scalar and SIMD, so that code
 * generators are written once for float32 (four lanes of `f32x4`) and
 * float64 (two lanes of `f64x2`).
 *
 * @internal
 */
export interface Lanes {
  readonly dtype: DType
  /** Bytes per element. */
  readonly bytes: 4 | 8
  /** log2 of {@link Lanes.bytes}, the natural alignment hint. */
  readonly align: 2 | 3
  /** Elements per 128-bit vector. */
  readonly lanes: 4 | 2
  readonly type: 'f32' | 'f64'
  readonly load: number
  readonly store: number
  readonly add: number
  readonly sub: number
  readonly mul: number
  readonly div: number
  readonly neg: number
  readonly abs: number
  readonly sqrt: number
  readonly eq: number
  readonly ne: number
  readonly lt: number
  readonly gt: number
  readonly le: number
  readonly ge: number
  readonly v: {
    readonly loadSplat: number
    readonly storeLane: number
    readonly splat: number
    readonly extract: number
    readonly replace: number
    readonly add: number
    readonly sub: number
    readonly mul: number
    readonly div: number
    readonly neg: number
    readonly abs: number
    readonly sqrt: number
    readonly eq: number
    readonly ne: number
    readonly lt: number
    readonly gt: number
    readonly le: number
    readonly ge: number
    readonly min: number
    readonly max: number
    readonly floor: number
    readonly nearest: number
    /** `relaxed_madd(a, b, c) = a * b + c`, fused or not as the host likes (relaxed SIMD). */
    readonly madd: number
  }
}

/** float32: `f32` scalars, `f32x4` vectors. @internal */
export const f32Lanes: Lanes = {
  dtype: 'f32',
  bytes: 4,
  align: 2,
  lanes: 4,
  type: 'f32',
  load: op.f32Load,
  store: op.f32Store,
  add: op.f32Add,
  sub: op.f32Sub,
  mul: op.f32Mul,
  div: op.f32Div,
  neg: op.f32Neg,
  abs: op.f32Abs,
  sqrt: op.f32Sqrt,
  eq: op.f32Eq,
  ne: op.f32Ne,
  lt: op.f32Lt,
  gt: op.f32Gt,
  le: op.f32Le,
  ge: op.f32Ge,
  v: {
    loadSplat: simd.v128Load32Splat,
    storeLane: simd.v128Store32Lane,
    splat: simd.f32x4Splat,
    extract: simd.f32x4ExtractLane,
    replace: simd.f32x4ReplaceLane,
    add: simd.f32x4Add,
    sub: simd.f32x4Sub,
    mul: simd.f32x4Mul,
    div: simd.f32x4Div,
    neg: simd.f32x4Neg,
    abs: simd.f32x4Abs,
    sqrt: simd.f32x4Sqrt,
    eq: simd.f32x4Eq,
    ne: simd.f32x4Ne,
    lt: simd.f32x4Lt,
    gt: simd.f32x4Gt,
    le: simd.f32x4Le,
    ge: simd.f32x4Ge,
    min: simd.f32x4Min,
    max: simd.f32x4Max,
    floor: simd.f32x4Floor,
    nearest: simd.f32x4Nearest,
    madd: simd.f32x4RelaxedMadd,
  },
}

/** float64: `f64` scalars, `f64x2` vectors. @internal */
export const f64Lanes: Lanes = {
  dtype: 'f64',
  bytes: 8,
  align: 3,
  lanes: 2,
  type: 'f64',
  load: op.f64Load,
  store: op.f64Store,
  add: op.f64Add,
  sub: op.f64Sub,
  mul: op.f64Mul,
  div: op.f64Div,
  neg: op.f64Neg,
  abs: op.f64Abs,
  sqrt: op.f64Sqrt,
  eq: op.f64Eq,
  ne: op.f64Ne,
  lt: op.f64Lt,
  gt: op.f64Gt,
  le: op.f64Le,
  ge: op.f64Ge,
  v: {
    loadSplat: simd.v128Load64Splat,
    storeLane: simd.v128Store64Lane,
    splat: simd.f64x2Splat,
    extract: simd.f64x2ExtractLane,
    replace: simd.f64x2ReplaceLane,
    add: simd.f64x2Add,
    sub: simd.f64x2Sub,
    mul: simd.f64x2Mul,
    div: simd.f64x2Div,
    neg: simd.f64x2Neg,
    abs: simd.f64x2Abs,
    sqrt: simd.f64x2Sqrt,
    eq: simd.f64x2Eq,
    ne: simd.f64x2Ne,
    lt: simd.f64x2Lt,
    gt: simd.f64x2Gt,
    le: simd.f64x2Le,
    ge: simd.f64x2Ge,
    min: simd.f64x2Min,
    max: simd.f64x2Max,
    floor: simd.f64x2Floor,
    nearest: simd.f64x2Nearest,
    madd: simd.f64x2RelaxedMadd,
  },
}

/** The lanes of `dtype`. @internal */
export const lanesOf = (dtype: DType): Lanes => (dtype === 'f32' ? f32Lanes : f64Lanes)
