import type { Group, Instr } from '../lower/ir.js'
import type { Lowered } from '../lower/lower.js'
import { alignment, type MemoryLayout } from '../lower/memory.js'
import { emitGroup, isWasmGroup } from '../wasm/group.js'
import { wasmHost } from '../wasm/host.js'
import { lanesOf } from '../wasm/lanes.js'
import { defaultTiling, emitMatmul, type MatmulSpec, packedSize, packsA } from '../wasm/matmul.js'
import { ModuleBuilder } from '../wasm/module.js'
import { emitReduce } from '../wasm/reduce.js'
import { type Arena, arenaOver, arrayOf, baseOf } from './arena.js'
import { jsGroup } from './js-group.js'
import { jsAxis, jsGather, jsMatmul, jsReduce, reduction3D } from './js-kernels.js'

/**
 * Where the kernels run: `wasm` emits one WebAssembly module per executable
 * (SIMD matrix products and fused loops, specialised to the graph's shapes
 * and addresses) over a WebAssembly memory; `js` runs generated and
 * hand-written JavaScript loops over an `ArrayBuffer`. Both share the plan,
 * the memory layout and the JavaScript kernels for the rarer ops.
 *
 * @category Backend
 */
export type Target = 'wasm' | 'js'

/**
 * A compiled plan ready to run: the arena holding every buffer, and the
 * steps to run in order, each a closure with its addresses bound.
 *
 * @internal
 */
export interface Program {
  readonly arena: Arena
  readonly steps: readonly (() => void)[]
  /** Statistics for tests and benchmarks: how the instructions were compiled. */
  readonly stats: ProgramStats
}

/**
 * How an executable's plan was compiled, as {@link statsOf} reports it.
 *
 * @category Backend
 */
export interface ProgramStats {
  readonly target: Target
  /** Bytes of the arena. */
  readonly arenaBytes: number
  /** Bytes of the WebAssembly module (0 for `js`). */
  readonly moduleBytes: number
  /**
   * Instructions by kind: `matmul` (with any fused epilogue), `group:wasm`
   * and `group:js` (fused elementwise loops by where they run), `reduce`,
   * `reduce:wasm`, `axis` (softmax family), `gather` (copies of strided
   * views), and for the `js` target `group` and `matmul`.
   */
  readonly counts: Readonly<Record<string, number>>
  /** Whether the matrix products multiply-add with relaxed SIMD's `relaxed_madd` (`false` for `js`). */
  readonly fma: boolean
}

/**
 * Rows per call of a product with an epilogue: a block of about 256 KiB of
 * the product (in the L2 cache when the epilogue reads it back), whole
 * register tiles. Smaller blocks would re-read the packed B more often.
 */
const blockRows = (n: number, bytes: number, mr: number): number =>
  Math.max(mr, Math.floor(262144 / Math.max(1, n * bytes) / mr) * mr)

const fillConstants = (lowered: Lowered, arena: Arena): void => {
  for (const s of lowered.storages) {
    if (s.role !== 'const' || s.size === 0) continue
    const array = arrayOf(arena, s.dtype)
    const base = baseOf(arena, s.id, s.dtype)
    if (typeof s.values === 'number') array.fill(s.values, base, base + s.size)
    else array.set(s.values!, base)
  }
}

const specOf = (instr: Extract<Instr, { kind: 'matmul' }>): MatmulSpec => ({
  lanes: lanesOf(instr.dtype),
  n: instr.n,
  k: instr.k,
  aRow: instr.a.rowStride,
  aK: instr.a.colStride,
  bK: instr.b.rowStride,
  bCol: instr.b.colStride,
  ldc: instr.n,
})

/**
 * Compiles a lowered, laid-out plan for `target`; with `fma`, the
 * WebAssembly matrix products use relaxed SIMD's multiply-add (the host
 * must have it).
 *
 * @internal
 */
export const buildProgram = (lowered: Lowered, layout: MemoryLayout, target: Target, fma = false): Program => {
  const counts: Record<string, number> = {}
  const count = (key: string): void => {
    counts[key] = (counts[key] ?? 0) + 1
  }
  if (target === 'js') {
    const arena = arenaOver(new ArrayBuffer(layout.bytes), layout.offsets)
    fillConstants(lowered, arena)
    const steps = lowered.instrs.map((instr) => {
      count(instr.kind)
      return jsStep(instr, arena)
    })
    return { arena, steps, stats: { target, arenaBytes: layout.bytes, moduleBytes: 0, counts, fma: false } }
  }

  // Packed copies of B go in a scratch area after the plan's buffers; one product runs at a time.
  // A copy of a transposed A follows the packed B (see packsA).
  const tiling = defaultTiling(fma)
  const packedBBytes = (spec: MatmulSpec): number => Math.ceil((packedSize(spec, tiling) * spec.lanes.bytes) / alignment) * alignment
  let scratch = 0
  for (const instr of lowered.instrs) {
    if (instr.kind === 'matmul') {
      const spec = specOf(instr)
      scratch = Math.max(scratch, packedBBytes(spec) + (packsA(spec) ? instr.m * instr.k * spec.lanes.bytes : 0))
    }
  }
  const scratchAt = Math.ceil(layout.bytes / alignment) * alignment
  const bytes = scratchAt + scratch + alignment
  const pages = Math.max(1, Math.ceil(bytes / 65536))
  const memory = new wasmHost!.Memory({ initial: pages })
  const arena = arenaOver(memory.buffer, layout.offsets)
  fillConstants(lowered, arena)

  const module = new ModuleBuilder()
  const plans: ((exports: Record<string, (...args: number[]) => void>) => () => void)[] = []
  const groupRunner = (group: Group, name: string): ((exports: Record<string, (...args: number[]) => void>) => (r0: number, r1: number) => void) => {
    if (isWasmGroup(group)) {
      count('group:wasm')
      module.add(emitGroup(group, lanesOf(group.dtype), layout.offsets), name)
      return (exports) => exports[name]!
    }
    count('group:js')
    const fn = jsGroup(group, arena)
    return () => fn
  }
  lowered.instrs.forEach((instr, i) => {
    if (instr.kind === 'group') {
      const runner = groupRunner(instr.group, `g${i}`)
      const rows = instr.group.rows
      plans.push((exports) => {
        const run = runner(exports)
        return () => run(0, rows)
      })
    } else if (instr.kind === 'matmul') {
      count('matmul')
      const spec = specOf(instr)
      const names = emitMatmul(module, `m${i}`, spec, tiling)
      const es = spec.lanes.bytes
      const stored = layout.offsets[instr.a.storage]! + instr.a.offset * es
      const bAddr = layout.offsets[instr.b.storage]! + instr.b.offset * es
      const cAddr = layout.offsets[instr.out]!
      const { m, n, k } = instr
      const epilogue = instr.epilogue && groupRunner(instr.epilogue, `e${i}`)
      const block = blockRows(n, es, tiling.mr)
      // `mm` reads A where it is stored, or from its row-major copy.
      const aAddr = names.packA === undefined ? stored : scratchAt + packedBBytes(spec)
      const aStep = (names.packA === undefined ? instr.a.rowStride : k) * es
      plans.push((exports) => {
        const pack = exports[names.pack]!
        const packA = names.packA === undefined ? undefined : exports[names.packA]!
        const mm = exports[names.mm]!
        if (epilogue === undefined) {
          return () => {
            pack(bAddr, scratchAt)
            packA?.(stored, aAddr, m)
            mm(aAddr, scratchAt, cAddr, m)
          }
        }
        const epi = epilogue(exports)
        return () => {
          pack(bAddr, scratchAt)
          packA?.(stored, aAddr, m)
          for (let i0 = 0; i0 < m; i0 += block) {
            const rows = Math.min(block, m - i0)
            mm(aAddr + i0 * aStep, scratchAt, cAddr + i0 * n * es, rows)
            epi(i0, i0 + rows)
          }
        }
      })
    } else if (instr.kind === 'reduce' && reduction3D(instr.shape, instr.axes) && instr.shape.every((d) => d > 0)) {
      count('reduce:wasm')
      const name = `r${i}`
      const L = lanesOf(instr.dtype)
      module.add(
        emitReduce({
          op: instr.op,
          lanes: L,
          ...reduction3D(instr.shape, instr.axes)!,
          input: layout.offsets[instr.input]! + instr.inputOffset * L.bytes,
          output: layout.offsets[instr.out]!,
        }),
        name,
      )
      plans.push((exports) => exports[name]! as () => void)
    } else {
      count(instr.kind)
      const step = jsStep(instr, arena)
      plans.push(() => step)
    }
  })
  const binary = module.encode(pages)
  const instance = new wasmHost!.Instance(new wasmHost!.Module(binary), { env: { memory } })
  const exports = instance.exports as unknown as Record<string, (...args: number[]) => void>
  const steps = plans.map((p) => p(exports))
  return { arena, steps, stats: { target, arenaBytes: bytes, moduleBytes: binary.length, counts, fma } }
}

/** An instruction on the JavaScript kernels. */
const jsStep = (instr: Instr, arena: Arena): (() => void) => {
  switch (instr.kind) {
    case 'group': {
      const fn = jsGroup(instr.group, arena)
      const rows = instr.group.rows
      return () => fn(0, rows)
    }
    case 'matmul': {
      const mm = jsMatmul(instr, arena)
      if (instr.epilogue === undefined) return mm
      const epi = jsGroup(instr.epilogue, arena)
      const rows = instr.epilogue.rows
      return () => {
        mm()
        epi(0, rows)
      }
    }
    case 'reduce':
      return jsReduce(instr, arena)
    case 'axis':
      return jsAxis(instr, arena)
    case 'gather':
      return jsGather(instr, arena)
  }
}
