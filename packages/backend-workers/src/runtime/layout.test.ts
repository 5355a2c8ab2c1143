import { tensor } from '@backprop/backend'
import { describe, expect, it } from 'vitest'
import { controlIndex, readFeeds, runLayout, shardViews, viewOf, writeRows, writeShared } from './layout.js'

const specs = [
  { name: 'x', shape: [5, 3], dtype: 'f32' as const, kind: 'input' as const, required: true },
  { name: 'W', shape: [3, 2], dtype: 'f64' as const, kind: 'param' as const, required: true },
  { name: 'unused', shape: [7], dtype: 'f64' as const, kind: 'input' as const, required: false },
]
// Three shards: a scalar and a [rows, 2] output each.
const outputs = [3, 1, 1].map((rows) => [
  { shape: [], dtype: 'f64' as const },
  { shape: [rows, 2], dtype: 'f32' as const },
])

describe('run buffer layout', () => {
  const layout = runLayout(specs, new Set(['x']), outputs)

  it('puts each shard control word on its own cache line, before anything else', () => {
    expect([0, 1, 2].map(controlIndex)).toEqual([0, 16, 32])
    expect(Math.min(...layout.feeds.map((f) => f.byteOffset))).toBeGreaterThanOrEqual(3 * 64)
  })

  it('lays out the required feeds, aligned for float64, and every shard output 16-byte aligned, without overlaps', () => {
    expect(layout.feeds.map((f) => [f.name, f.batched])).toEqual([
      ['x', true],
      ['W', false],
    ])
    const regions = [
      ...layout.feeds.map((f) => ({ at: f.byteOffset, bytes: f.shape.reduce((a, b) => a * b, 1) * (f.dtype === 'f32' ? 4 : 8) })),
      ...layout.results.flat().map((v) => ({ at: v.byteOffset, bytes: v.length * (v.dtype === 'f32' ? 4 : 8) })),
    ].sort((a, b) => a.at - b.at)
    for (const f of layout.feeds) expect(f.byteOffset % 8).toBe(0)
    for (const v of layout.results.flat()) expect(v.byteOffset % 16).toBe(0)
    regions.forEach((r, i) => expect(r.at + r.bytes).toBeLessThanOrEqual(regions[i + 1]?.at ?? layout.bytes))
    expect(layout.results.map((r) => r.map((v) => v.length))).toEqual([
      [1, 6],
      [1, 2],
      [1, 2],
    ])
  })

  it("gives each worker views of its own rows and of the whole parameters, as the calling thread wrote them", () => {
    const buffer = new SharedArrayBuffer(layout.bytes)
    const x = tensor(Array.from({ length: 15 }, (_, i) => i), [5, 3], 'f32')
    const W = tensor([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], [3, 2])
    writeShared(buffer, layout, { x, W })
    writeRows(buffer, layout, { x, W }, 3, 1)
    writeRows(buffer, layout, { x, W }, 4, 1)
    const shard2 = readFeeds(buffer, shardViews(layout, 4, 1))
    expect(shard2.x!.shape).toEqual([1, 3])
    expect(Array.from(shard2.x!.data)).toEqual([12, 13, 14])
    expect(Array.from(shard2.W!.data)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    expect(Array.from(readFeeds(buffer, shardViews(layout, 3, 1)).x!.data)).toEqual([9, 10, 11])
    // Shard 0's rows stay unwritten: the calling thread reads them from the caller's arrays.
    expect(Array.from(viewOf(buffer, { ...layout.feeds[0]!, length: 9 }))).toEqual(Array(9).fill(0))
  })
})
