import { Bytes } from './bytes.js'
import { fc, op, simd, type ValType, valType } from './opcodes.js'

/** A local variable (or parameter) of a function: its index. @internal */
export type Local = number

/**
 * Writes the body of one WebAssembly function, instruction by instruction.
 * Parameters are locals `0..params.length-1`; {@link Func.local} declares
 * more. Methods return `this`, so straight-line code chains; structured
 * control flow takes the body as a callback, which keeps `block`/`end`
 * balanced by construction.
 *
 * @internal
 */
export class Func {
  readonly code = new Bytes()
  private readonly locals: ValType[] = []
  /** Code run once on entry, before `code`: it sets the locals of {@link Func.constant}. */
  private readonly prologue = new Bytes()
  private readonly constants = new Map<string, Local>()

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}

  /** Declares a new local of `type` and returns its index. */
  local(type: ValType): Local {
    this.locals.push(type)
    return this.params.length + this.locals.length - 1
  }

  /**
   * A local holding the 16-byte vector constant `bytes`, set once on entry
   * (and shared by equal constants). V8 builds a `v128.const` from scalar
   * moves each time it runs, so constants used in loops are read from
   * locals instead: at worst a spill slot, one load.
   */
  constant(bytes: ArrayLike<number>): Local {
    const key = Array.from(bytes).join(',')
    let local = this.constants.get(key)
    if (local === undefined) {
      local = this.local('v128')
      this.prologue.byte(op.prefixSimd).u32(simd.v128Const).bytes(bytes).byte(op.localSet).u32(local)
      this.constants.set(key, local)
    }
    return local
  }

  /** Emits a core opcode. */
  op(code: number): this {
    this.code.byte(code)
    return this
  }

  /** Emits a SIMD opcode (prefix 0xfd). */
  simd(code: number): this {
    this.code.byte(op.prefixSimd).u32(code)
    return this
  }

  get(l: Local): this {
    this.code.byte(op.localGet).u32(l)
    return this
  }

  set(l: Local): this {
    this.code.byte(op.localSet).u32(l)
    return this
  }

  tee(l: Local): this {
    this.code.byte(op.localTee).u32(l)
    return this
  }

  i32(n: number): this {
    this.code.byte(op.i32Const).i32(n)
    return this
  }

  i64(n: bigint): this {
    this.code.byte(op.i64Const).i64(n)
    return this
  }

  f32(x: number): this {
    this.code.byte(op.f32Const).f32(x)
    return this
  }

  f64(x: number): this {
    this.code.byte(op.f64Const).f64(x)
    return this
  }

  /** `v128.const` from 16 bytes. */
  v128(bytes: ArrayLike<number>): this {
    if (bytes.length !== 16) throw new Error('v128.const needs 16 bytes')
    this.simd(simd.v128Const)
    this.code.bytes(bytes)
    return this
  }

  /** A memory access with alignment hint `align` (log2 of bytes) and a constant byte `offset`. */
  mem(code: number, offset: number, align: number): this {
    this.code.byte(code).u32(align).u32(offset)
    return this
  }

  /** A SIMD memory access (loads, stores, splats). */
  vmem(code: number, offset: number, align = 0): this {
    this.simd(code)
    this.code.u32(align).u32(offset)
    return this
  }

  /** A SIMD lane store (`v128.store32_lane` ...): memarg then the lane index. */
  vstoreLane(code: number, offset: number, lane: number): this {
    this.vmem(code, offset)
    this.code.byte(lane)
    return this
  }

  /** A SIMD lane access with a lane immediate (extract/replace). */
  lane(code: number, index: number): this {
    this.simd(code)
    this.code.byte(index)
    return this
  }

  /** `i8x16.shuffle` with 16 lane indices. */
  shuffle(lanes: readonly number[]): this {
    this.simd(simd.i8x16Shuffle)
    this.code.bytes(lanes)
    return this
  }

  /** `memory.copy` of (dst, src, n) on the stack. */
  memoryCopy(): this {
    this.code.byte(op.prefixFC).u32(fc.memoryCopy).byte(0).byte(0)
    return this
  }

  /** `memory.fill` of (dst, value, n) on the stack. */
  memoryFill(): this {
    this.code.byte(op.prefixFC).u32(fc.memoryFill).byte(0)
    return this
  }

  /** `block ... end` with no result. */
  block(body: () => void): this {
    this.code.byte(op.block).byte(0x40)
    body()
    return this.op(op.end)
  }

  /** `loop ... end` with no result. */
  loop(body: () => void): this {
    this.code.byte(op.loop).byte(0x40)
    body()
    return this.op(op.end)
  }

  /** `if ... [else ...] end` with no result, on the i32 on the stack. */
  if(then: () => void, otherwise?: () => void): this {
    this.code.byte(op.if).byte(0x40)
    then()
    if (otherwise) {
      this.op(op.else)
      otherwise()
    }
    return this.op(op.end)
  }

  br(depth: number): this {
    this.code.byte(op.br).u32(depth)
    return this
  }

  brIf(depth: number): this {
    this.code.byte(op.brIf).u32(depth)
    return this
  }

  call(index: number): this {
    this.code.byte(op.call).u32(index)
    return this
  }

  /**
   * A counted loop: `i` runs from the value `from` pushes, while below the
   * value `to` pushes (re-evaluated every iteration), in steps of `step`.
   * Inside the body, branch depth 1 leaves the loop; the body must not
   * branch to depth 0, which would skip the increment.
   */
  for(i: Local, from: () => void, to: () => void, step: number, body: () => void): this {
    from()
    this.set(i)
    return this.block(() => {
      this.loop(() => {
        this.get(i)
        to()
        this.op(op.i32GeS).brIf(1)
        body()
        this.get(i).i32(step).op(op.i32Add).set(i)
        this.br(0)
      })
    })
  }

  /** The encoded function body: locals (grouped by type) then code and `end`. */
  encode(): Bytes {
    const out = new Bytes()
    const groups: [ValType, number][] = []
    for (const t of this.locals) {
      const last = groups[groups.length - 1]
      if (last && last[0] === t) last[1]++
      else groups.push([t, 1])
    }
    out.u32(groups.length)
    for (const [t, n] of groups) out.u32(n).byte(valType[t])
    out.bytes(this.prologue.view())
    out.bytes(this.code.view())
    out.byte(op.end)
    return out
  }
}
