/**
 * A growable byte buffer with the encodings of the WebAssembly binary
 * format: unsigned and signed LEB128 integers, little-endian floats, and
 * length-prefixed vectors.
 *
 * @internal
 */
export class Bytes {
  private data = new Uint8Array(256)
  private length = 0

  /** Number of bytes written so far. */
  get size(): number {
    return this.length
  }

  /** One byte. */
  byte(b: number): this {
    if (this.length === this.data.length) {
      const grown = new Uint8Array(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.length++] = b & 0xff
    return this
  }

  /** Several bytes in order. */
  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i]!)
    return this
  }

  /** An unsigned LEB128 integer (u32 and indices). */
  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`u32 out of range: ${n}`)
    do {
      let b = n & 0x7f
      n = Math.floor(n / 128)
      if (n !== 0) b |= 0x80
      this.byte(b)
    } while (n !== 0)
    return this
  }

  /** A signed LEB128 integer (the immediate of `i32.const`). */
  i32(n: number): this {
    if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new Error(`i32 out of range: ${n}`)
    n |= 0
    for (;;) {
      const b = n & 0x7f
      n >>= 7
      const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)
      this.byte(done ? b : b | 0x80)
      if (done) return this
    }
  }

  /** A signed LEB128 64-bit integer from a bigint (the immediate of `i64.const`). */
  i64(n: bigint): this {
    for (;;) {
      const b = Number(n & 0x7fn)
      n >>= 7n
      const done = (n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)
      this.byte(done ? b : b | 0x80)
      if (done) return this
    }
  }

  /** A float32, little-endian. */
  f32(x: number): this {
    return this.bytes(new Uint8Array(new Float32Array([x]).buffer))
  }

  /** A float64, little-endian. */
  f64(x: number): this {
    return this.bytes(new Uint8Array(new Float64Array([x]).buffer))
  }

  /**
   * A name, length-prefixed. Our modules' names are ASCII identifiers, whose
   * UTF-8 is their character codes; this keeps the encoder free of host
   * globals such as `TextEncoder`.
   */
  name(s: string): this {
    if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`wasm name is not printable ASCII: ${JSON.stringify(s)}`)
    this.u32(s.length)
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i))
    return this
  }

  /** The bytes of another buffer, prefixed with their length (a section or a function body). */
  sized(inner: Bytes): this {
    return this.u32(inner.size).bytes(inner.view())
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.data.subarray(0, this.length)
  }
}
