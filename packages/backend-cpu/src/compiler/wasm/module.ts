import { Bytes } from './bytes.js'
import type { Func } from './func.js'
import { type ValType, valType } from './opcodes.js'

const section = (out: Bytes, id: number, fill: (s: Bytes) => void): void => {
  const s = new Bytes()
  fill(s)
  out.byte(id).sized(s)
}

/**
 * Assembles a WebAssembly module whose functions all work on one imported
 * memory (`env.memory`): add functions, then {@link ModuleBuilder.encode}.
 * Function types are deduplicated; exported functions are called from
 * JavaScript by name.
 *
 * @internal
 */
export class ModuleBuilder {
  private readonly funcs: { readonly name: string | undefined; readonly func: Func; readonly type: number }[] = []
  private readonly types: string[] = []
  private readonly typeSigs: { params: readonly ValType[]; results: readonly ValType[] }[] = []

  /** Number of functions added so far (the index the next one gets). */
  get size(): number {
    return this.funcs.length
  }

  /** Adds `func`, exported as `name` when given, and returns its index. */
  add(func: Func, name?: string): number {
    const key = `${func.params.join(',')}->${func.results.join(',')}`
    let type = this.types.indexOf(key)
    if (type < 0) {
      type = this.types.length
      this.types.push(key)
      this.typeSigs.push({ params: func.params, results: func.results })
    }
    this.funcs.push({ name, func, type })
    return this.funcs.length - 1
  }

  /** The module's binary, importing a memory of at least `minPages` 64 KiB pages. */
  encode(minPages: number): Uint8Array {
    const out = new Bytes()
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])
    section(out, 1, (s) => {
      s.u32(this.typeSigs.length)
      for (const { params, results } of this.typeSigs) {
        s.byte(0x60).u32(params.length)
        for (const p of params) s.byte(valType[p])
        s.u32(results.length)
        for (const r of results) s.byte(valType[r])
      }
    })
    section(out, 2, (s) => {
      s.u32(1).name('env').name('memory').byte(0x02).byte(0x00).u32(minPages)
    })
    section(out, 3, (s) => {
      s.u32(this.funcs.length)
      for (const f of this.funcs) s.u32(f.type)
    })
    const exported = this.funcs.map((f, i) => [f.name, i] as const).filter(([name]) => name !== undefined)
    section(out, 7, (s) => {
      s.u32(exported.length)
      for (const [name, i] of exported) s.name(name!).byte(0x00).u32(i)
    })
    section(out, 10, (s) => {
      s.u32(this.funcs.length)
      for (const f of this.funcs) s.sized(f.func.encode())
    })
    return out.view().slice()
  }
}
