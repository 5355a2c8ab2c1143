import { Func, type Local } from './func.js'
import type { Lanes } from './lanes.js'
import { op, simd } from './opcodes.js'

/**
 * A reduction the WebAssembly kernel handles: a contiguous input read as
 * `[outer, reduce, inner]` (the reduced axes one run), written as
 * `[outer, inner]`, with byte addresses of input and output.
 *
 * @internal
 */
export interface ReduceSpec {
  readonly op: 'sum' | 'max'
  readonly lanes: Lanes
  readonly outer: number
  readonly reduce: number
  readonly inner: number
  readonly input: number
  readonly output: number
}

/** Shuffle moving the high 8 bytes of a vector to its low half. */
const highHalf = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]

/**
 * Emits a reduction as one function without arguments. Sums accumulate in
 * float64 whatever the dtype (f32 lanes are widened to f64x2), and are
 * rounded once when stored, like the reference kernels. Maxima compare in
 * the dtype: `x > acc || x != x` selects `x`, so NaN wins and the first of
 * equal values stays. Along `inner` the lanes are separate outputs, so each
 * output still sees its values in input order; when `inner` is 1 the
 * reduced values are contiguous and are summed in vector lanes, combined at
 * the end (a maximum then runs in order instead, so that ties keep the
 * first value).
 *
 * @internal
 */
export const emitReduce = (s: ReduceSpec): Func => {
  const L = s.lanes
  const es = L.bytes
  const f32 = es === 4
  const sum = s.op === 'sum'
  const f = new Func([])
  const o = f.local('i32')
  const p = f.local('i32')
  const end = f.local('i32')
  const src = f.local('i32')
  const acc = Array.from({ length: 2 }, () => f.local('v128'))
  const x = f.local('v128')
  const scalar = f.local('f64')
  const initial = (): void => {
    // Sums start at +0 (f64 lanes), maxima at -Infinity in the dtype's lanes.
    const bytes = sum
      ? new Uint8Array(16)
      : new Uint8Array((f32 ? new Float32Array(4).fill(-Infinity) : new Float64Array(2).fill(-Infinity)).buffer)
    f.v128(bytes)
  }
  // acc = fold(acc, x) for vectors in the accumulation type.
  const fold = (a: Local, value: () => void): void => {
    if (sum) {
      f.get(a)
      value()
      f.simd(simd.f64x2Add)
    } else {
      value()
      f.tee(x).get(a).get(x).get(a).simd(L.v.gt).get(x).get(x).simd(L.v.ne).simd(simd.v128Or).simd(simd.v128Bitselect)
    }
    f.set(a)
  }
  const scalarFold = (value: () => void): void => {
    // scalar (f64 local) = fold(scalar, value) with value an f64 (maxima compare exactly in f64 too)
    value()
    if (sum) {
      f.get(scalar).op(op.f64Add).set(scalar)
    } else {
      const v = f.local('f64')
      f.set(v)
      f.get(v).get(scalar).get(v).get(scalar).op(op.f64Gt).get(v).get(v).op(op.f64Ne).op(op.i32Or).op(op.select).set(scalar)
    }
  }
  const loadScalar = (base: Local, offset: number): void => {
    f.get(base).mem(L.load, offset, L.align)
    if (f32) f.op(op.f64PromoteF32)
  }
  const storeScalar = (address: () => void, value: () => void): void => {
    address()
    value()
    if (f32) f.op(op.f32DemoteF64)
    f.mem(L.store, 0, L.align)
  }
  const initialScalar = (): void => void f.f64(sum ? 0 : -Infinity)

  f.for(o, () => f.i32(0), () => f.i32(s.outer), 1, () => {
    if (s.inner === 1 && !sum) {
      // A contiguous maximum runs in order, so that the first of equal values (-0, 0) wins.
      f.i32(s.input).get(o).i32(s.reduce * es).op(op.i32Mul).op(op.i32Add).set(p)
      f.get(p).i32(s.reduce * es).op(op.i32Add).set(end)
      initialScalar()
      f.set(scalar)
      f.block(() =>
        f.loop(() => {
          f.get(p).get(end).op(op.i32GeU).brIf(1)
          scalarFold(() => loadScalar(p, 0))
          f.get(p).i32(es).op(op.i32Add).set(p)
          f.br(0)
        }),
      )
      storeScalar(
        () => f.i32(s.output).get(o).i32(es).op(op.i32Mul).op(op.i32Add),
        () => f.get(scalar),
      )
      return
    }
    if (s.inner === 1) {
      // A contiguous sum: f64x2 partial sums over vectors, then a scalar tail.
      const perVector = f32 ? 4 : 2 // values consumed per step
      const steps = Math.floor(s.reduce / perVector)
      f.i32(s.input).get(o).i32(s.reduce * es).op(op.i32Mul).op(op.i32Add).set(src)
      for (const a of acc.slice(0, 2)) {
        initial()
        f.set(a)
      }
      f.get(src).i32(steps * perVector * es).op(op.i32Add).set(end)
      f.get(src).set(p)
      f.block(() =>
        f.loop(() => {
          f.get(p).get(end).op(op.i32GeU).brIf(1)
          if (f32) {
            fold(acc[0]!, () => f.get(p).vmem(simd.v128Load, 0).tee(x).simd(simd.f64x2PromoteLowF32x4))
            fold(acc[1]!, () => f.get(x).get(x).shuffle(highHalf).simd(simd.f64x2PromoteLowF32x4))
          } else {
            fold(acc[0]!, () => f.get(p).vmem(simd.v128Load, 0))
          }
          f.get(p).i32(perVector * es).op(op.i32Add).set(p)
          f.br(0)
        }),
      )
      // Combine the partial sums into one f64.
      f.get(acc[0]!).get(acc[1]!).simd(simd.f64x2Add).set(acc[0]!)
      f.get(acc[0]!).lane(simd.f64x2ExtractLane, 0).get(acc[0]!).lane(simd.f64x2ExtractLane, 1).op(op.f64Add).set(scalar)
      for (let r = steps * perVector; r < s.reduce; r++) scalarFold(() => loadScalar(src, r * es))
      storeScalar(
        () => f.i32(s.output).get(o).i32(es).op(op.i32Mul).op(op.i32Add),
        () => f.get(scalar),
      )
      return
    }
    // Columns: each lane accumulates one output, over the reduced rows in order.
    const perChunk = f32 ? 4 : 2
    const chunks = Math.floor(s.inner / perChunk)
    const j = f.local('i32')
    const out = f.local('i32')
    f.i32(s.input).get(o).i32(s.reduce * s.inner * es).op(op.i32Mul).op(op.i32Add).set(src)
    f.i32(s.output).get(o).i32(s.inner * es).op(op.i32Mul).op(op.i32Add).set(out)
    if (chunks > 0) {
      f.for(j, () => f.i32(0), () => f.i32(chunks * perChunk * es), perChunk * es, () => {
        initial()
        f.set(acc[0]!)
        initial()
        f.set(acc[1]!)
        f.get(src).get(j).op(op.i32Add).set(p)
        f.get(p).i32(s.reduce * s.inner * es).op(op.i32Add).set(end)
        f.block(() =>
          f.loop(() => {
            f.get(p).get(end).op(op.i32GeU).brIf(1)
            if (sum && f32) {
              fold(acc[0]!, () => f.get(p).vmem(simd.v128Load, 0).tee(x).simd(simd.f64x2PromoteLowF32x4))
              fold(acc[1]!, () => f.get(x).get(x).shuffle(highHalf).simd(simd.f64x2PromoteLowF32x4))
            } else {
              fold(acc[0]!, () => f.get(p).vmem(simd.v128Load, 0))
            }
            f.get(p).i32(s.inner * es).op(op.i32Add).set(p)
            f.br(0)
          }),
        )
        if (sum && f32) {
          f.get(out).get(j).op(op.i32Add)
          f.get(acc[0]!).simd(simd.f32x4DemoteF64x2Zero).get(acc[1]!).simd(simd.f32x4DemoteF64x2Zero)
          f.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23])
          f.vmem(simd.v128Store, 0)
        } else {
          f.get(out).get(j).op(op.i32Add).get(acc[0]!).vmem(simd.v128Store, 0)
        }
      })
    }
    for (let c = chunks * perChunk; c < s.inner; c++) {
      initialScalar()
      f.set(scalar)
      f.get(src).i32(c * es).op(op.i32Add).set(p)
      f.get(p).i32(s.reduce * s.inner * es).op(op.i32Add).set(end)
      f.block(() =>
        f.loop(() => {
          f.get(p).get(end).op(op.i32GeU).brIf(1)
          scalarFold(() => loadScalar(p, 0))
          f.get(p).i32(s.inner * es).op(op.i32Add).set(p)
          f.br(0)
        }),
      )
      storeScalar(
        () => f.get(out).i32(c * es).op(op.i32Add),
        () => f.get(scalar),
      )
    }
  })
  return f
}
