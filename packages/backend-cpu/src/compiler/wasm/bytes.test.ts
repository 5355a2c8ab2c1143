import { describe, expect, it } from 'vitest'
import { Bytes } from './bytes.js'
import { Func } from './func.js'
import { ModuleBuilder } from './module.js'
import { op } from './opcodes.js'
import { wasmHost } from './host.js'

const encode = (write: (b: Bytes) => void): number[] => {
  const b = new Bytes()
  write(b)
  return Array.from(b.view())
}

describe('binary encodings', () => {
  it('writes unsigned LEB128 as the format specifies', () => {
    expect(encode((b) => b.u32(0))).toEqual([0x00])
    expect(encode((b) => b.u32(127))).toEqual([0x7f])
    expect(encode((b) => b.u32(128))).toEqual([0x80, 0x01])
    expect(encode((b) => b.u32(624485))).toEqual([0xe5, 0x8e, 0x26])
    expect(encode((b) => b.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f])
    expect(() => encode((b) => b.u32(-1))).toThrow()
  })

  it('writes signed LEB128, sign-extending from the last group', () => {
    expect(encode((b) => b.i32(0))).toEqual([0x00])
    expect(encode((b) => b.i32(63))).toEqual([0x3f])
    expect(encode((b) => b.i32(64))).toEqual([0xc0, 0x00])
    expect(encode((b) => b.i32(-1))).toEqual([0x7f])
    expect(encode((b) => b.i32(-64))).toEqual([0x40])
    expect(encode((b) => b.i32(-65))).toEqual([0xbf, 0x7f])
    expect(encode((b) => b.i32(-123456))).toEqual([0xc0, 0xbb, 0x78])
    expect(encode((b) => b.i64(-1n))).toEqual([0x7f])
    expect(encode((b) => b.i64(0x4330000000000000n))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x98, 0xc3, 0x00])
  })

  it('writes floats little-endian and names length-prefixed', () => {
    expect(encode((b) => b.f32(1))).toEqual([0x00, 0x00, 0x80, 0x3f])
    expect(encode((b) => b.f64(-2))).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0])
    expect(encode((b) => b.name('env'))).toEqual([3, 0x65, 0x6e, 0x76])
    expect(() => encode((b) => b.name('süm'))).toThrow(/not printable ASCII/)
  })

  it('grows past its initial capacity', () => {
    expect(encode((b) => b.bytes(new Array(1000).fill(7)))).toHaveLength(1000)
  })
})

describe('modules', () => {
  it('assemble into a module that validates, instantiates on a memory and runs', () => {
    const module = new ModuleBuilder()
    // store(p, load(p) + x) with a counted loop over 3 consecutive floats
    const f = new Func(['i32', 'f64'])
    const i = f.local('i32')
    f.for(i, () => f.i32(0), () => f.i32(3), 1, () => {
      f.get(i).i32(8).op(op.i32Mul).get(0).op(op.i32Add)
      f.get(i).i32(8).op(op.i32Mul).get(0).op(op.i32Add).mem(op.f64Load, 0, 3)
      f.get(1).op(op.f64Add).mem(op.f64Store, 0, 3)
    })
    module.add(f, 'bump')
    const binary = module.encode(1)
    expect(wasmHost!.validate(binary)).toBe(true)
    const memory = new wasmHost!.Memory({ initial: 1 })
    const data = new Float64Array(memory.buffer, 0, 4)
    data.set([1, 2, 3, 4])
    const instance = new wasmHost!.Instance(new wasmHost!.Module(binary), { env: { memory } })
    ;(instance.exports.bump as (p: number, x: number) => void)(8, 0.5)
    expect(Array.from(data)).toEqual([1, 2.5, 3.5, 4.5])
  })
})
