import { Func, type Local } from './func.js'
import type { Lanes } from './lanes.js'
import type { ModuleBuilder } from './module.js'
import { op, simd } from './opcodes.js'

/**
 * One matrix product `C = op(A) op(B)` as the code generator sees it, in
 * elements: `op(A)[i, p]` is at `A + i * aRow + p * aK` and `op(B)[p, j]` at
 * `B + p * bK + j * bCol`, so plain, transposed and strided operands are all
 * the same kernel with other constants (a transpose is never copied).
 * `C` is row-major with row stride `ldc`. The number of rows is a run-time
 * argument, so one kernel serves blocks of rows.
 *
 * @internal
 */
export interface MatmulSpec {
  readonly lanes: Lanes
  readonly n: number
  readonly k: number
  readonly aRow: number
  readonly aK: number
  readonly bK: number
  readonly bCol: number
  readonly ldc: number
}

/**
 * Register tiling of the micro-kernel: `mr` rows by `nr` vectors of
 * columns, the inner dimension blocked by at most `kc` so that a packed
 * panel of B stays in the L1 cache while the rows stream past it, and
 * whether to multiply-add with relaxed SIMD's `relaxed_madd` (`fma`).
 *
 * @internal
 */
export interface Tiling {
  readonly mr: number
  readonly nr: number
  readonly kc: number
  readonly fma: boolean
}

/**
 * The tiling per element type: 2 rows by 4 vectors (2 x 16 for float32,
 * 2 x 8 for float64), one step of the inner dimension per loop iteration.
 *
 * Why so small: V8 keeps 15 vector registers for WebAssembly on x86-64, and
 * its scheduler issues every load of a loop iteration before the arithmetic
 * that uses them. A step then holds `mr * nr` accumulators, `nr` vectors of
 * B, `mr` splats of A and one product (before it is added) at once: 15 for
 * 2 x 4. One more (3 x 3, or unrolling the loop, which hoists the next
 * step's loads too) spills accumulators to the stack on every step and
 * halves the speed. `relaxed_madd` needs no register for the product.
 *
 * @internal
 */
export const defaultTiling = (fma = false): Tiling => ({ mr: 2, nr: 4, kc: 512, fma })

/** Bytes of A that a block of rows may take in the L2 cache (a quarter of a small L2). */
const l2Budget = 256 * 1024

/** Columns of one packed panel of B. @internal */
export const panelWidth = (lanes: Lanes, t: Tiling): number => t.nr * lanes.lanes

/** Elements of the packed copy of B that {@link emitMatmul}'s `pack` writes. @internal */
export const packedSize = (spec: MatmulSpec, t: Tiling): number => {
  const w = panelWidth(spec.lanes, t)
  return Math.ceil(spec.n / w) * w * spec.k
}

/** Exported names of one emitted product. @internal */
export interface MatmulExports {
  /** `pack(b, bp)`: copies `op(B)` into panels at `bp` (byte addresses). */
  readonly pack: string
  /**
   * Where {@link packsA}: `packA(a, ap, rows)` copies the first `rows` rows
   * of op(A) into row-major order at `ap`, and `mm` then reads A from there
   * (`k` elements a row).
   */
  readonly packA: string | undefined
  /** `mm(a, bp, c, rows)`: `C[0:rows] = op(A)[0:rows] op(B)` from the packed B. */
  readonly mm: string
}

const addr = (f: Func, base: Local, bytes: number): Func => (bytes === 0 ? f.get(base) : f.get(base).i32(bytes).op(op.i32Add))

/**
 * The micro-kernel: an `mr` x `cols` tile of C from `kc` steps of the inner
 * dimension, with `mr * nv` vector accumulators held in locals (so in
 * registers). Arguments: A at the tile's first row and step, the packed
 * panel at the step, C at the tile, `kc`, and whether to add to C (for k
 * blocks after the first).
 */
const emitMicro = (s: MatmulSpec, t: Tiling, mr: number, cols: number): Func => {
  const L = s.lanes
  const es = L.bytes
  const width = panelWidth(L, t)
  const nv = Math.ceil(cols / L.lanes)
  const f = new Func(['i32', 'i32', 'i32', 'i32', 'i32'])
  const [a, b, c, kc, accumulate] = [0, 1, 2, 3, 4] as const
  const acc = Array.from({ length: mr }, () => Array.from({ length: nv }, () => f.local('v128')))
  const bv = Array.from({ length: nv }, () => f.local('v128'))
  const av = f.local('v128')
  const end = f.local('i32')
  for (const row of acc) for (const x of row) f.v128(new Uint8Array(16)).set(x)

  // end = b + kc * width * es; then one step of the inner dimension per
  // iteration (see defaultTiling for why the loop is not unrolled).
  f.get(b).get(kc).i32(width * es).op(op.i32Mul).op(op.i32Add).set(end)
  const loop = (): void => void f.loop(() => {
    for (let v = 0; v < nv; v++) f.get(b).vmem(simd.v128Load, v * L.lanes * es).set(bv[v]!)
    for (let r = 0; r < mr; r++) {
      f.get(a).vmem(L.v.loadSplat, r * s.aRow * es).set(av)
      for (let v = 0; v < nv; v++) {
        if (t.fma) f.get(av).get(bv[v]!).get(acc[r]![v]!).simd(L.v.madd).set(acc[r]![v]!)
        else f.get(acc[r]![v]!).get(av).get(bv[v]!).simd(L.v.mul).simd(L.v.add).set(acc[r]![v]!)
      }
    }
    f.get(a).i32(s.aK * es).op(op.i32Add).set(a)
    f.get(b).i32(width * es).op(op.i32Add).tee(b).get(end).op(op.i32LtU).brIf(0)
  })
  f.get(kc).if(loop) // k = 0: the tile is zeros

  const add = (r: number, v: number): void => {
    f.get(accumulate).if(() => {
      f.get(acc[r]![v]!).get(c).vmem(simd.v128Load, (r * s.ldc + v * L.lanes) * es).simd(L.v.add).set(acc[r]![v]!)
    })
  }
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++) {
      add(r, v)
      const offset = (r * s.ldc + v * L.lanes) * es
      const valid = Math.min(L.lanes, cols - v * L.lanes)
      if (valid === L.lanes) {
        f.get(c).get(acc[r]![v]!).vmem(simd.v128Store, offset)
      } else {
        for (let lane = 0; lane < valid; lane++) f.get(c).get(acc[r]![v]!).vstoreLane(L.v.storeLane, offset + lane * es, lane)
      }
    }
  }
  return f
}

/**
 * Transposes a block of `lanes` x `lanes` elements in registers: `rows`
 * hold its rows; returns, for each column, code that pushes it as a vector
 * (`half` are scratch locals).
 */
const transposed4 = (f: Func, L: Lanes, rows: readonly Local[], half: readonly Local[]): (() => void)[] => {
  if (L.lanes === 4) {
    // 4 x 4 of f32: interleave pairs of rows, then pairs of pairs.
    // Byte indices of f32 lanes (0-3 of the first operand, 4-7 of the second).
    const lanesOf32 = (ls: readonly number[]): number[] => ls.flatMap((l) => [0, 1, 2, 3].map((b) => l * 4 + b))
    f.get(rows[0]!).get(rows[1]!).shuffle(lanesOf32([0, 4, 1, 5])).set(half[0]!)
    f.get(rows[2]!).get(rows[3]!).shuffle(lanesOf32([0, 4, 1, 5])).set(half[1]!)
    f.get(rows[0]!).get(rows[1]!).shuffle(lanesOf32([2, 6, 3, 7])).set(half[2]!)
    f.get(rows[2]!).get(rows[3]!).shuffle(lanesOf32([2, 6, 3, 7])).set(half[3]!)
    return [
      () => f.get(half[0]!).get(half[1]!).shuffle(lanesOf32([0, 1, 4, 5])),
      () => f.get(half[0]!).get(half[1]!).shuffle(lanesOf32([2, 3, 6, 7])),
      () => f.get(half[2]!).get(half[3]!).shuffle(lanesOf32([0, 1, 4, 5])),
      () => f.get(half[2]!).get(half[3]!).shuffle(lanesOf32([2, 3, 6, 7])),
    ]
  }
  // 2 x 2 of f64: low halves together, high halves together.
  return [
    () => f.get(rows[0]!).get(rows[1]!).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
    () => f.get(rows[0]!).get(rows[1]!).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]),
  ]
}

/**
 * Whether the product copies op(A) into row-major order first: when A is
 * stored transposed (an A^T product, as the gradient of a weight matrix
 * is), each step of the inner dimension would otherwise read a new cache
 * line per row, a whole row of A^T apart, and at power-of-two widths all
 * in the same set of the L1 cache.
 *
 * @internal
 */
export const packsA = (s: MatmulSpec): boolean => s.aRow === 1 && s.aK !== 1 && s.k > 0

/**
 * `packA(a, ap, rows)`: the first `rows` rows of op(A) (stored transposed,
 * see {@link packsA}) into row-major order at `ap`, `k` elements a row:
 * blocks of `lanes` x `lanes` are loaded along the stored rows and
 * transposed in registers, the edges copied one element at a time.
 */
const emitPackA = (s: MatmulSpec): Func => {
  const L = s.lanes
  const es = L.bytes
  const lanes = L.lanes
  const f = new Func(['i32', 'i32', 'i32'])
  const [a, ap, rows] = [0, 1, 2] as const
  const p = f.local('i32')
  const i = f.local('i32')
  const iEnd = f.local('i32')
  const src = f.local('i32')
  const dst = f.local('i32')
  const rowVecs = Array.from({ length: lanes }, () => f.local('v128'))
  const half = Array.from({ length: lanes }, () => f.local('v128'))
  const pFull = s.k - (s.k % lanes)
  // ap[i * k + p] = op(A)[i, p] = a[p * aK + i], one element.
  const copyOne = (step: number): void => {
    f.get(ap).get(i).i32(s.k).op(op.i32Mul).get(p).op(op.i32Add).i32(step).op(op.i32Add).i32(es).op(op.i32Mul).op(op.i32Add)
    f.get(a).get(p).i32(step).op(op.i32Add).i32(s.aK).op(op.i32Mul).get(i).op(op.i32Add).i32(es).op(op.i32Mul).op(op.i32Add)
    f.mem(L.load, 0, L.align).mem(L.store, 0, L.align)
  }
  f.get(rows).i32(-lanes).op(op.i32And).set(iEnd)
  if (pFull > 0) {
    f.for(p, () => f.i32(0), () => f.i32(pFull), lanes, () => {
      f.for(i, () => f.i32(0), () => f.get(iEnd), lanes, () => {
        f.get(a).get(p).i32(s.aK).op(op.i32Mul).get(i).op(op.i32Add).i32(es).op(op.i32Mul).op(op.i32Add).set(src)
        f.get(ap).get(i).i32(s.k).op(op.i32Mul).get(p).op(op.i32Add).i32(es).op(op.i32Mul).op(op.i32Add).set(dst)
        rowVecs.forEach((v, t) => f.get(src).vmem(simd.v128Load, t * s.aK * es).set(v))
        transposed4(f, L, rowVecs, half).forEach((value, u) => {
          f.get(dst)
          value()
          f.vmem(simd.v128Store, u * s.k * es)
        })
      })
      f.for(i, () => f.get(iEnd), () => f.get(rows), 1, () => {
        for (let t = 0; t < lanes; t++) copyOne(t)
      })
    })
  }
  if (pFull < s.k) {
    f.for(p, () => f.i32(pFull), () => f.i32(s.k), 1, () => {
      f.for(i, () => f.i32(0), () => f.get(rows), 1, () => copyOne(0))
    })
  }
  return f
}

/**
 * `pack(b, bp)`: op(B) into panels of `width` columns, each `k` rows of
 * `width` contiguous elements, the last panel padded with zeros; the
 * micro-kernel then reads B strictly sequentially whatever its layout.
 */
const emitPack = (s: MatmulSpec, t: Tiling): Func => {
  const L = s.lanes
  const es = L.bytes
  const width = panelWidth(L, t)
  const full = Math.floor(s.n / width)
  const rest = s.n % width
  const f = new Func(['i32', 'i32'])
  const [b, bp] = [0, 1] as const
  const src = f.local('i32')
  const p = f.local('i32')
  const jp = f.local('i32')
  // Copies `cols` columns of one row of the panel from src to bp, zero-filling to `width`.
  const row = (cols: number): void => {
    if (s.bCol === 1 && cols === width) {
      for (let v = 0; v < t.nr; v++) f.get(bp).get(src).vmem(simd.v128Load, v * 16).vmem(simd.v128Store, v * 16)
      return
    }
    for (let j = 0; j < width; j++) {
      f.get(bp)
      if (j < cols) f.get(src).mem(L.load, j * s.bCol * es, L.align)
      else if (L.bytes === 4) f.f32(0)
      else f.f64(0)
      f.mem(L.store, j * es, L.align)
    }
  }
  // B stored transposed (a B^T product: op(B)[p, j] contiguous along p):
  // blocks of `lanes` steps by `lanes` columns are loaded as vectors along p
  // and transposed in registers, instead of gathered one element at a time.
  const lanes = L.lanes
  const transposed = s.bK === 1 && s.bCol !== 1
  const steps = transposed ? s.k - (s.k % lanes) : 0
  const rowVecs = Array.from({ length: lanes }, () => f.local('v128'))
  const half = Array.from({ length: lanes }, () => f.local('v128'))
  const transposeBlock = (cols: number): void => {
    for (let jj = 0; jj < cols; jj += lanes) {
      rowVecs.forEach((v, t) => f.get(src).vmem(simd.v128Load, (jj + t) * s.bCol * es).set(v))
      transposed4(f, L, rowVecs, half).forEach((value, u) => {
        f.get(bp)
        value()
        f.vmem(simd.v128Store, (u * width + jj) * es)
      })
    }
  }
  const panel = (cols: number): void => {
    if (transposed && cols === width && steps > 0) {
      f.for(p, () => f.i32(0), () => f.i32(steps), lanes, () => {
        transposeBlock(cols)
        f.get(src).i32(lanes * es).op(op.i32Add).set(src)
        f.get(bp).i32(lanes * width * es).op(op.i32Add).set(bp)
      })
      f.for(p, () => f.i32(steps), () => f.i32(s.k), 1, () => {
        row(cols)
        f.get(src).i32(s.bK * es).op(op.i32Add).set(src)
        f.get(bp).i32(width * es).op(op.i32Add).set(bp)
      })
      return
    }
    f.for(p, () => f.i32(0), () => f.i32(s.k), 1, () => {
      row(cols)
      f.get(src).i32(s.bK * es).op(op.i32Add).set(src)
      f.get(bp).i32(width * es).op(op.i32Add).set(bp)
    })
  }
  if (full > 0) {
    f.for(jp, () => f.i32(0), () => f.i32(full), 1, () => {
      // src = b + jp * width * bCol * es
      f.get(b).get(jp).i32(width * s.bCol * es).op(op.i32Mul).op(op.i32Add).set(src)
      panel(width)
    })
  }
  if (rest > 0) {
    f.get(b).i32(full * width * s.bCol * es).op(op.i32Add).set(src)
    panel(rest)
  }
  return f
}

/**
 * Emits the functions of one matrix product into `module`: `pack` and `mm`
 * (exported as `${name}_pack` and `${name}_mm`) and their micro-kernels.
 *
 * @internal
 */
export const emitMatmul = (module: ModuleBuilder, name: string, spec: MatmulSpec, t: Tiling = defaultTiling()): MatmulExports => {
  // The micro-kernels and `mm` read A as it is after packA, if any.
  const s: MatmulSpec = packsA(spec) ? { ...spec, aRow: spec.k, aK: 1 } : spec
  const L = s.lanes
  const es = L.bytes
  const width = panelWidth(L, t)
  const full = Math.floor(s.n / width)
  const rest = s.n % width
  const micro = new Map<string, number>()
  const microFor = (mr: number, cols: number): number => {
    const key = `${mr}x${cols}`
    let index = micro.get(key)
    if (index === undefined) {
      index = module.add(emitMicro(s, t, mr, cols))
      micro.set(key, index)
    }
    return index
  }
  const pack = `${name}_pack`
  module.add(emitPack(spec, t), pack)
  const packA = packsA(spec) ? `${name}_packA` : undefined
  if (packA !== undefined) module.add(emitPackA(spec), packA)

  const f = new Func(['i32', 'i32', 'i32', 'i32'])
  const [a, bp, c, rows] = [0, 1, 2, 3] as const
  const i0 = f.local('i32')
  const blockRows = f.local('i32')
  const aBlock = f.local('i32')
  const cBlock = f.local('i32')
  const ir = f.local('i32')
  const jp = f.local('i32')
  const aTile = f.local('i32')
  const bTile = f.local('i32')
  const cTile = f.local('i32')
  const rem = f.local('i32')

  // All row tiles of the block in one panel: full mr-row tiles, then the leftover rows.
  const rowsOfPanel = (pc: number, kc: number, cols: number): void => {
    const callMicro = (mr: number): void => {
      f.get(aTile).get(bTile).get(cTile).i32(kc).i32(pc > 0 ? 1 : 0).call(microFor(mr, cols))
    }
    f.get(aBlock).i32(pc * s.aK * es).op(op.i32Add).set(aTile)
    f.i32(0).set(ir)
    f.block(() =>
      f.loop(() => {
        f.get(ir).i32(t.mr).op(op.i32Add).get(blockRows).op(op.i32GtS).brIf(1)
        callMicro(t.mr)
        f.get(aTile).i32(t.mr * s.aRow * es).op(op.i32Add).set(aTile)
        f.get(cTile).i32(t.mr * s.ldc * es).op(op.i32Add).set(cTile)
        f.get(ir).i32(t.mr).op(op.i32Add).set(ir)
        f.br(0)
      }),
    )
    f.get(blockRows).get(ir).op(op.i32Sub).set(rem)
    for (let mr = 1; mr < t.mr; mr++) {
      f.get(rem).i32(mr).op(op.i32Eq).if(() => callMicro(mr))
    }
  }
  // Blocks of k split evenly (784 = 2 x 392 rather than 3 x 256 + 16): each
  // block is a pass over C, so a short last block would cost a whole pass.
  const count = Math.max(1, Math.ceil(s.k / t.kc))
  const even = Math.ceil(s.k / count)
  const blocks: [number, number][] = []
  for (let pc = 0; pc < s.k; pc += even) blocks.push([pc, Math.min(even, s.k - pc)])
  if (blocks.length === 0) blocks.push([0, 0]) // k = 0: the kernels store zeros
  // Rows in blocks whose part of A (mc rows of a k block) stays in the L2
  // cache while every panel of B passes over it.
  const mc = Math.max(t.mr, Math.floor(l2Budget / Math.max(1, even * es) / t.mr) * t.mr)
  f.for(i0, () => f.i32(0), () => f.get(rows), mc, () => {
    // blockRows = min(mc, rows - i0); aBlock = a + i0 * aRow * es; cBlock = c + i0 * ldc * es
    f.get(rows).get(i0).op(op.i32Sub).set(blockRows)
    f.get(blockRows).i32(mc).op(op.i32GtS).if(() => f.i32(mc).set(blockRows))
    f.get(a).get(i0).i32(s.aRow * es).op(op.i32Mul).op(op.i32Add).set(aBlock)
    f.get(c).get(i0).i32(s.ldc * es).op(op.i32Mul).op(op.i32Add).set(cBlock)
    for (const [pc, kc] of blocks) {
      if (full > 0) {
        f.for(jp, () => f.i32(0), () => f.i32(full), 1, () => {
          // bTile = bp + (jp * k + pc) * width * es; cTile = cBlock + jp * width * es
          f.get(bp).get(jp).i32(s.k * width * es).op(op.i32Mul).op(op.i32Add).i32(pc * width * es).op(op.i32Add).set(bTile)
          f.get(cBlock).get(jp).i32(width * es).op(op.i32Mul).op(op.i32Add).set(cTile)
          rowsOfPanel(pc, kc, width)
        })
      }
      if (rest > 0) {
        addr(f, bp, (full * s.k + pc) * width * es).set(bTile)
        addr(f, cBlock, full * width * es).set(cTile)
        rowsOfPanel(pc, kc, rest)
      }
    }
  })
  const mm = `${name}_mm`
  module.add(f, mm)
  return { pack, packA, mm }
}
