import type { Feeds, FeedSpec, TensorData } from '@backprop/backend'
import { type DType, sizeOf } from '@backprop/graph'
import type { FeedView } from './protocol.js'

/**
 * One required feed's place in the shared feed buffer of a run.
 *
 * @internal
 */
export interface FeedSlot {
  readonly name: string
  readonly dtype: DType
  readonly shape: readonly number[]
  /** Byte offset of its first element (a multiple of 8). */
  readonly byteOffset: number
  /** Split along axis 0 across the shards. */
  readonly batched: boolean
}

/**
 * Where each feed goes in a run's buffer, and the buffer's size.
 *
 * @internal
 */
export interface FeedLayout {
  readonly slots: readonly FeedSlot[]
  readonly bytes: number
}

const bytesOf = (dtype: DType): number => (dtype === 'f32' ? 4 : 8)

/**
 * Lays out the required feeds of `specs` one after the other, each at an
 * offset aligned for float64; those named in `batched` are split by rows.
 *
 * @internal
 */
export const feedLayout = (specs: readonly FeedSpec[], batched: ReadonlySet<string>): FeedLayout => {
  const slots: FeedSlot[] = []
  let bytes = 0
  for (const spec of specs) {
    if (!spec.required) continue
    slots.push({ name: spec.name, dtype: spec.dtype, shape: spec.shape, byteOffset: bytes, batched: batched.has(spec.name) })
    bytes += Math.ceil((sizeOf(spec.shape) * bytesOf(spec.dtype)) / 8) * 8
  }
  return { slots, bytes }
}

const view = (buffer: SharedArrayBuffer, dtype: DType, byteOffset: number, length: number): TensorData =>
  dtype === 'f32' ? new Float32Array(buffer, byteOffset, length) : new Float64Array(buffer, byteOffset, length)

/**
 * Copies the (validated) feeds that are not split, the parameters above
 * all, into `buffer`: the one copy a run makes of them; every worker reads
 * them in place.
 *
 * @internal
 */
export const writeShared = (buffer: SharedArrayBuffer, layout: FeedLayout, feeds: Feeds): void => {
  for (const slot of layout.slots) {
    if (slot.batched) continue
    const data = feeds[slot.name]!.data
    view(buffer, slot.dtype, slot.byteOffset, data.length).set(data)
  }
}

/**
 * Copies rows `[start, start + rows)` of the split feeds into `buffer`, so
 * that a shard can start as soon as its own rows are in place.
 *
 * @internal
 */
export const writeRows = (buffer: SharedArrayBuffer, layout: FeedLayout, feeds: Feeds, start: number, rows: number): void => {
  for (const slot of layout.slots) {
    if (!slot.batched) continue
    const row = sizeOf(slot.shape.slice(1))
    const data = feeds[slot.name]!.data.subarray(start * row, (start + rows) * row)
    view(buffer, slot.dtype, slot.byteOffset + start * row * bytesOf(slot.dtype), data.length).set(data)
  }
}

/**
 * The views of one shard: rows `[start, start + rows)` of every batched
 * feed, and the whole of every other feed.
 *
 * @internal
 */
export const shardViews = (layout: FeedLayout, start: number, rows: number): FeedView[] =>
  layout.slots.map((slot) => {
    if (!slot.batched) return { name: slot.name, dtype: slot.dtype, shape: slot.shape, byteOffset: slot.byteOffset, length: sizeOf(slot.shape) }
    const row = sizeOf(slot.shape.slice(1))
    return {
      name: slot.name,
      dtype: slot.dtype,
      shape: [rows, ...slot.shape.slice(1)],
      byteOffset: slot.byteOffset + start * row * bytesOf(slot.dtype),
      length: rows * row,
    }
  })

/**
 * The feeds of a shard as views into `buffer` (in the worker).
 *
 * @internal
 */
export const readFeeds = (buffer: SharedArrayBuffer, views: readonly FeedView[]): Feeds =>
  Object.fromEntries(
    views.map((v) => [v.name, { shape: v.shape, dtype: v.dtype, data: view(buffer, v.dtype, v.byteOffset, v.length) }]),
  )
