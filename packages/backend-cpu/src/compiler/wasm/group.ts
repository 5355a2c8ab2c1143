import type { ElementwiseOp, Group } from '../lower/ir.js'
import { Func, type Local } from './func.js'
import type { Lanes } from './lanes.js'
import { f64x2Kernels } from './math.js'
import { op, simd } from './opcodes.js'

/**
 * The elementwise ops with a WebAssembly kernel, in both dtypes: exact
 * IEEE operations and selections, so that the SIMD loop gives the same
 * bits as the op table's scalar functions. A group with any other op
 * (`exp`, `log`, `sin`, ...) runs as generated JavaScript instead.
 *
 * @internal
 */
export const wasmOps: ReadonlySet<ElementwiseOp> = new Set<ElementwiseOp>([
  'neg',
  'abs',
  'sqrt',
  'square',
  'relu',
  'step',
  'sign',
  'add',
  'sub',
  'mul',
  'div',
  'max',
  'min',
  'mulNoNan',
  'greater',
  'greaterEqual',
  'equal',
  'where',
])

/**
 * The ops with a WebAssembly kernel in float32 only: computed in float64
 * lanes (see `math.ts`) and rounded once. In float64 they stay in
 * JavaScript, whose `Math` functions the op table defines them by.
 *
 * @internal
 */
export const wasmF32Ops: ReadonlySet<ElementwiseOp> = new Set<ElementwiseOp>(['exp', 'sigmoid', 'tanh', 'erf'])

/** True when every op of the group has a WebAssembly kernel in the group's dtype. @internal */
export const isWasmGroup = (group: Group): boolean =>
  group.exprs.every((e) => e.kind === 'leaf' || wasmOps.has(e.op) || (group.dtype === 'f32' && wasmF32Ops.has(e.op)))

/** Shuffle taking the low halves of two vectors: [a0, a1, b0, b1] in f32 lanes. */
const lowHalves = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
/** Shuffle moving a vector's high half to its low half. */
const highHalf = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]

/**
 * An f32 op computed by an f64x2 kernel: a vector's four lanes as two
 * widened halves, or one scalar splatted, then narrowed back.
 */
const emitWidened = (f: Func, vector: boolean, name: keyof typeof f64x2Kernels, a: Local): void => {
  const kernel = f64x2Kernels[name]
  if (!vector) {
    const v = f.local('v128')
    f.get(a).op(op.f64PromoteF32).simd(simd.f64x2Splat).set(v)
    kernel(f, v, v)
    f.get(v).lane(simd.f64x2ExtractLane, 0).op(op.f32DemoteF64)
    return
  }
  const lo = f.local('v128')
  const hi = f.local('v128')
  f.get(a).simd(simd.f64x2PromoteLowF32x4).set(lo)
  f.get(a).get(a).shuffle(highHalf).simd(simd.f64x2PromoteLowF32x4).set(hi)
  kernel(f, lo, lo)
  kernel(f, hi, hi)
  f.get(lo).simd(simd.f32x4DemoteF64x2Zero).get(hi).simd(simd.f32x4DemoteF64x2Zero).shuffle(lowHalves)
}

/** 16 bytes of `x` repeated in every lane. */
const splatBytes = (L: Lanes, x: number): Uint8Array =>
  new Uint8Array((L.bytes === 4 ? new Float32Array(4).fill(x) : new Float64Array(2).fill(x)).buffer)

/**
 * Emits one elementwise op on values in locals, as vectors (`vector`) or
 * scalars, leaving the result on the stack. Selections use compare masks
 * (`bitselect`) or `select`, so that ties, signed zeros and NaN follow the
 * op table exactly: `max(a, b) = a >= b ? a : b`, `relu(x) = x > 0 ? x : 0`.
 */
const emitOp = (f: Func, L: Lanes, vector: boolean, name: ElementwiseOp, args: readonly Local[]): void => {
  const [a, b, c] = args
  const zero = (): void => void (vector ? f.v128(splatBytes(L, 0)) : L.bytes === 4 ? f.f32(0) : f.f64(0))
  const one = (): void => void (vector ? f.v128(splatBytes(L, 1)) : L.bytes === 4 ? f.f32(1) : f.f64(1))
  const minusOne = (): void => void (vector ? f.v128(splatBytes(L, -1)) : L.bytes === 4 ? f.f32(-1) : f.f64(-1))
  const ins = (scalar: number, v: number): void => void (vector ? f.simd(v) : f.op(scalar))
  // (x if cond else y) with x, y, cond pushed by the callbacks.
  const choose = (x: () => void, y: () => void, cond: () => void): void => {
    x()
    y()
    cond()
    if (vector) f.simd(simd.v128Bitselect)
    else f.op(op.select)
  }
  switch (name) {
    case 'neg':
      f.get(a!)
      return ins(L.neg, L.v.neg)
    case 'abs':
      f.get(a!)
      return ins(L.abs, L.v.abs)
    case 'sqrt':
      f.get(a!)
      return ins(L.sqrt, L.v.sqrt)
    case 'square':
      f.get(a!).get(a!)
      return ins(L.mul, L.v.mul)
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
      f.get(a!).get(b!)
      return ins(L[name], L.v[name])
    case 'relu':
      return choose(() => f.get(a!), zero, () => (f.get(a!), zero(), ins(L.gt, L.v.gt)))
    case 'step':
      return choose(one, zero, () => (f.get(a!), zero(), ins(L.gt, L.v.gt)))
    case 'sign':
      return choose(
        one,
        () => choose(minusOne, () => f.get(a!), () => (f.get(a!), zero(), ins(L.lt, L.v.lt))),
        () => (f.get(a!), zero(), ins(L.gt, L.v.gt)),
      )
    case 'max':
      return choose(() => f.get(a!), () => f.get(b!), () => (f.get(a!).get(b!), ins(L.ge, L.v.ge)))
    case 'min':
      return choose(() => f.get(a!), () => f.get(b!), () => (f.get(a!).get(b!), ins(L.le, L.v.le)))
    case 'mulNoNan':
      return choose(zero, () => (f.get(a!).get(b!), ins(L.mul, L.v.mul)), () => (f.get(a!), zero(), ins(L.eq, L.v.eq)))
    case 'greater':
      return choose(one, zero, () => (f.get(a!).get(b!), ins(L.gt, L.v.gt)))
    case 'greaterEqual':
      return choose(one, zero, () => (f.get(a!).get(b!), ins(L.ge, L.v.ge)))
    case 'equal':
      return choose(one, zero, () => (f.get(a!).get(b!), ins(L.eq, L.v.eq)))
    case 'where':
      return choose(() => f.get(c!), () => f.get(b!), () => (f.get(a!), zero(), ins(L.eq, L.v.eq)))
    case 'exp':
    case 'sigmoid':
    case 'tanh':
    case 'erf':
      if (L.bytes === 4) return emitWidened(f, vector, name, a!)
      throw new Error(`internal error: no float64 WebAssembly kernel for ${name}`)
    default:
      throw new Error(`internal error: no WebAssembly kernel for ${name}`)
  }
}

/**
 * A fused group as a WebAssembly function `(r0, r1)` over rows of its
 * layout: per row, the leaves' row pointers and any per-row constants are
 * set up, then the columns run four (f32) or two (f64) at a time with every
 * intermediate in a vector local, and the last few columns as scalars.
 * Storage addresses are compile-time constants (`offsets`, in bytes).
 *
 * A summed group (`group.sum`) adds its results instead of storing them,
 * as the reduction kernel does (`reduce.ts`): in float64 partial sums, f32
 * vectors widened half by half, combined and rounded once at the end of the
 * call, so that a contiguous operand is summed in the same order either way.
 *
 * @internal
 */
export const emitGroup = (group: Group, L: Lanes, offsets: readonly number[]): Func => {
  const es = L.bytes
  const f = new Func(['i32', 'i32'])
  const [r0, r1] = [0, 1] as const
  const r = f.local('i32')
  const c = f.local('i32')
  const out = f.local('i32')
  const rowPtr = group.leaves.map((l) => (l.constant === undefined && l.colStride === 1 ? f.local('i32') : -1))
  const rowScalar = group.leaves.map((l) => (l.constant === undefined && l.colStride === 0 ? f.local(L.type) : -1))
  const rowVector = group.leaves.map((l) => (l.constant === undefined && l.colStride === 0 ? f.local('v128') : -1))
  const vec = group.exprs.map(() => f.local('v128'))
  const sca = group.exprs.map(() => f.local(L.type))
  const address = (leaf: Group['leaves'][number]): void => {
    // offsets[storage] + (offset + r * rowStride) * es
    f.i32(offsets[leaf.storage]! + leaf.offset * es)
    if (leaf.rowStride !== 0) f.get(r).i32(leaf.rowStride * es).op(op.i32Mul).op(op.i32Add)
  }
  const vecCols = group.cols - (group.cols % L.lanes)
  const body = (vector: boolean, at: number): void => {
    group.exprs.forEach((e, i) => {
      const target = vector ? vec[i]! : sca[i]!
      if (e.kind === 'leaf') {
        const leaf = group.leaves[e.leaf]!
        if (leaf.constant !== undefined) {
          if (vector) f.v128(splatBytes(L, leaf.constant))
          else if (es === 4) f.f32(leaf.constant)
          else f.f64(leaf.constant)
        } else if (leaf.colStride === 0) {
          f.get(vector ? rowVector[e.leaf]! : rowScalar[e.leaf]!)
        } else if (vector) {
          f.get(rowPtr[e.leaf]!).get(c).op(op.i32Add).vmem(simd.v128Load, 0)
        } else {
          f.get(rowPtr[e.leaf]!).mem(L.load, at, L.align)
        }
      } else {
        emitOp(f, L, vector, e.op, e.args.map((a) => (vector ? vec[a]! : sca[a]!)))
      }
      f.set(target)
    })
  }
  const last = group.exprs.length - 1
  const acc = group.sum ? [f.local('v128'), f.local('v128')] : []
  const tail = group.sum ? f.local('f64') : -1
  // The result of the vector body (on the stack) stored, or added to the partial sums.
  const vectorResult = (): void => {
    if (!group.sum) {
      f.get(out).get(c).op(op.i32Add).get(vec[last]!).vmem(simd.v128Store, 0)
    } else if (es === 4) {
      f.get(acc[0]!).get(vec[last]!).simd(simd.f64x2PromoteLowF32x4).simd(simd.f64x2Add).set(acc[0]!)
      f.get(acc[1]!).get(vec[last]!).get(vec[last]!).shuffle(highHalf).simd(simd.f64x2PromoteLowF32x4).simd(simd.f64x2Add).set(acc[1]!)
    } else {
      f.get(acc[0]!).get(vec[last]!).simd(simd.f64x2Add).set(acc[0]!)
    }
  }
  const scalarResult = (j: number): void => {
    if (!group.sum) {
      f.get(out).get(sca[last]!).mem(L.store, j * es, L.align)
      return
    }
    f.get(tail).get(sca[last]!)
    if (es === 4) f.op(op.f64PromoteF32)
    f.op(op.f64Add).set(tail)
  }
  if (group.sum) {
    for (const a of acc) f.v128(new Uint8Array(16)).set(a)
    f.f64(0).set(tail)
  }
  f.for(r, () => f.get(r0), () => f.get(r1), 1, () => {
    if (!group.sum) f.i32(offsets[group.out]!).get(r).i32(group.cols * es).op(op.i32Mul).op(op.i32Add).set(out)
    group.leaves.forEach((leaf, i) => {
      if (rowPtr[i]! >= 0) {
        address(leaf)
        f.set(rowPtr[i]!)
      } else if (rowScalar[i]! >= 0) {
        address(leaf)
        f.mem(L.load, 0, L.align).tee(rowScalar[i]!).simd(L.v.splat).set(rowVector[i]!)
      }
    })
    if (vecCols > 0) {
      f.for(c, () => f.i32(0), () => f.i32(vecCols * es), 16, () => {
        body(true, 0)
        vectorResult()
      })
    }
    for (let j = vecCols; j < group.cols; j++) {
      body(false, j * es)
      scalarResult(j)
    }
  })
  if (group.sum) {
    // out[0] = round((acc0 + acc1) lane 0 + lane 1 + tail)
    f.i32(offsets[group.out]!)
    f.get(acc[0]!).get(acc[1]!).simd(simd.f64x2Add).set(acc[0]!)
    f.get(acc[0]!).lane(simd.f64x2ExtractLane, 0).get(acc[0]!).lane(simd.f64x2ExtractLane, 1).op(op.f64Add).get(tail).op(op.f64Add)
    if (es === 4) f.op(op.f32DemoteF64)
    f.mem(L.store, 0, L.align)
  }
  return f
}
