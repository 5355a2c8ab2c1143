import { type Instr, readsOf, type Storage, type StorageId, writesOf } from './ir.js'
import type { Lowered } from './lower.js'

/** Alignment of every buffer in the arena, in bytes: a SIMD vector. @internal */
export const alignment = 16

/** Bytes of slack after the last buffer, so that a vector read past a buffer's end stays in memory. @internal */
export const slack = 64

/**
 * Where each storage lives in the arena, in bytes, and the arena's size.
 *
 * @internal
 */
export interface MemoryLayout {
  readonly bytes: number
  /** Byte offset of each storage (aliases share their target's offset). */
  readonly offsets: readonly number[]
}

const bytesOf = (s: Storage): number => {
  const raw = s.size * (s.dtype === 'f32' ? 4 : 8)
  return Math.ceil(raw / alignment) * alignment
}

/** A first-fit allocator over a growing arena, with freed blocks merged with their neighbours. */
class Arena {
  private free: { offset: number; size: number }[] = []
  top = 0

  alloc(size: number): number {
    const i = this.free.findIndex((b) => b.size >= size)
    if (i < 0) {
      this.top += size
      return this.top - size
    }
    const block = this.free[i]!
    if (block.size === size) this.free.splice(i, 1)
    else this.free[i] = { offset: block.offset + size, size: block.size - size }
    return block.offset
  }

  release(offset: number, size: number): void {
    this.free.push({ offset, size })
    this.free.sort((a, b) => a.offset - b.offset)
    const merged: { offset: number; size: number }[] = []
    for (const b of this.free) {
      const last = merged[merged.length - 1]
      if (last && last.offset + last.size === b.offset) last.size += b.size
      else merged.push({ ...b })
    }
    // A free block at the top shrinks the arena instead.
    const last = merged[merged.length - 1]
    if (last && last.offset + last.size === this.top) {
      this.top = last.offset
      merged.pop()
    }
    this.free = merged
  }
}

/**
 * Lays out the storages of a lowered plan by liveness: constants and state
 * first, for the executable's lifetime; every other buffer from the
 * instruction that writes it (feeds: from the start) to its last reader
 * (outputs: to the end), reusing the memory of buffers that are dead. An
 * instruction's results never share memory with its operands, because a
 * buffer is freed only after the results of its last reader are placed.
 *
 * @internal
 */
export const layoutMemory = (lowered: Lowered): MemoryLayout => {
  const { storages, instrs, aliases } = lowered
  const resolve = (id: StorageId): StorageId => aliases.get(id) ?? id
  const end = instrs.length
  const first = new Array<number>(storages.length).fill(Number.POSITIVE_INFINITY)
  const last = new Array<number>(storages.length).fill(-1)
  for (const { storage } of lowered.feeds) first[storage] = -1
  instrs.forEach((instr: Instr, t) => {
    for (const s of writesOf(instr).map(resolve)) {
      first[s] = Math.min(first[s]!, t)
      last[s] = Math.max(last[s]!, t)
    }
    for (const s of readsOf(instr).map(resolve)) last[s] = Math.max(last[s]!, t)
  })
  for (const v of lowered.outputs) last[resolve(v.storage)] = end

  const offsets = new Array<number>(storages.length).fill(0)
  const arena = new Arena()
  const byStart = new Map<number, StorageId[]>()
  const byEnd = new Map<number, StorageId[]>()
  for (const s of storages) {
    if (aliases.has(s.id)) continue
    if (s.role === 'const' || s.role === 'state') {
      offsets[s.id] = arena.alloc(bytesOf(s))
      continue
    }
    if (!Number.isFinite(first[s.id]!)) continue // never written, never read: no memory
    const start = first[s.id]!
    const stop = Math.max(last[s.id]!, start)
    byStart.set(start, [...(byStart.get(start) ?? []), s.id])
    byEnd.set(stop, [...(byEnd.get(stop) ?? []), s.id])
  }
  let bytes = arena.top
  for (let t = -1; t <= end; t++) {
    for (const id of byStart.get(t) ?? []) {
      offsets[id] = arena.alloc(bytesOf(storages[id]!))
      bytes = Math.max(bytes, arena.top)
    }
    for (const id of byEnd.get(t) ?? []) arena.release(offsets[id]!, bytesOf(storages[id]!))
  }
  for (const [from, to] of aliases) offsets[from] = offsets[to]!
  return { bytes: bytes + slack, offsets }
}
