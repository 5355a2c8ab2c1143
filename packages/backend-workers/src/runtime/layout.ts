import type { Feeds, FeedSpec, TensorData } from '@backprop/backend'
import { type DType, type Shape, sizeOf } from '@backprop/graph'
import type { BufferView, FeedView, RowsInPlace } from './protocol.js'

/**
 * One required feed's place in a run buffer.
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
 * The layout of one run buffer, a `SharedArrayBuffer` (see `sum.ts`) that
 * the calling thread and the workers of a run share:
 *
 * - a control block: one `Int32` word per shard, 64 bytes apart (so that
 *   two workers never write to the same cache line). The calling thread
 *   sets worker k's word to 0 before posting its run; the worker swaps in
 *   the run id when its outputs are in place, or minus the run id when the
 *   run failed, and notifies. The calling thread either sees that value,
 *   or swaps in {@link WAITING} while the word is still 0 and waits for a
 *   reply message instead;
 * - the feeds the workers read: the parameters and other unsplit feeds in
 *   whole, the batched feeds with all M rows (the calling thread reads its
 *   own rows from the caller's arrays, so the rows of shard 0 are never
 *   written);
 * - for each worker k, the region its outputs are written to; and for
 *   shard 0 a region where the calling thread puts its parts of the sums,
 *   to add the workers' parts to them in place.
 *
 * @internal
 */
export interface RunLayout {
  readonly feeds: readonly FeedSlot[]
  /** For each shard, the views its outputs are written to (for shard 0, where the calling thread puts them to sum them). */
  readonly results: readonly (readonly BufferView[])[]
  readonly bytes: number
}

/**
 * Run ids go round below this, so that they and their negatives fit the
 * Int32 control words and never equal {@link WAITING}.
 *
 * @internal
 */
export const MAX_RUN_ID = 0x3fffffff

/**
 * The value the calling thread stores in a shard's control word (with a
 * compare-and-exchange from 0) when it stops watching the word and waits
 * for the worker's reply message instead. A worker replies to a successful
 * run only when it finds this value as it stores the run id.
 *
 * @internal
 */
export const WAITING = 0x40000000

/** Bytes between two shards' control words: one cache line. */
const CONTROL_STRIDE = 64

const bytesOf = (dtype: DType): number => (dtype === 'f32' ? 4 : 8)

/** `bytes` rounded up to a multiple of 8, so that every region is aligned for float64. */
const aligned = (bytes: number): number => Math.ceil(bytes / 8) * 8

/**
 * Lays out a run buffer for `shards` shards whose outputs have `outputs[k]`
 * specs (shape and dtype), reading the required feeds of `specs`; those
 * named in `batched` are split by rows.
 *
 * @internal
 */
export const runLayout = (
  specs: readonly FeedSpec[],
  batched: ReadonlySet<string>,
  outputs: readonly (readonly { readonly shape: Shape; readonly dtype: DType }[])[],
): RunLayout => {
  let bytes = outputs.length * CONTROL_STRIDE
  const feeds: FeedSlot[] = []
  for (const spec of specs) {
    if (!spec.required) continue
    feeds.push({ name: spec.name, dtype: spec.dtype, shape: spec.shape, byteOffset: bytes, batched: batched.has(spec.name) })
    bytes += aligned(sizeOf(spec.shape) * bytesOf(spec.dtype))
  }
  // Each output 16-byte aligned, for the adder's lanes (not needed for correctness, but faster).
  bytes = Math.ceil(bytes / 16) * 16
  const results = outputs.map((specsOfShard) =>
    specsOfShard.map((s): BufferView => {
      const view = { dtype: s.dtype, byteOffset: bytes, length: sizeOf(s.shape) }
      bytes += Math.ceil((view.length * bytesOf(s.dtype)) / 16) * 16
      return view
    }),
  )
  return { feeds, results, bytes }
}

/**
 * The index of shard `k`'s control word in an `Int32Array` over the whole
 * run buffer.
 *
 * @internal
 */
export const controlIndex = (k: number): number => (k * CONTROL_STRIDE) / 4

/**
 * A typed-array view of `buffer` (in either thread), without a copy.
 *
 * @internal
 */
export const viewOf = (buffer: SharedArrayBuffer, v: BufferView): TensorData =>
  v.dtype === 'f32' ? new Float32Array(buffer, v.byteOffset, v.length) : new Float64Array(buffer, v.byteOffset, v.length)

/**
 * Copies the (validated) feeds that are not split, the parameters above
 * all, into `buffer`: the one copy a run makes of them; every worker reads
 * them in place. Feeds named in `inPlace` are left alone (parameters that
 * an executable holds in the buffer).
 *
 * @internal
 */
export const writeShared = (buffer: SharedArrayBuffer, layout: RunLayout, feeds: Feeds, inPlace?: ReadonlySet<string>): void => {
  for (const slot of layout.feeds) {
    if (slot.batched || inPlace?.has(slot.name)) continue
    const data = feeds[slot.name]!.data
    viewOf(buffer, { dtype: slot.dtype, byteOffset: slot.byteOffset, length: data.length }).set(data)
  }
}

/**
 * Whether `data` lies in a `SharedArrayBuffer`: a batch input given so is
 * read by the workers where it is (see {@link rowsInPlace}) rather than
 * copied into the run buffer.
 *
 * @internal
 */
export const inSharedMemory = (data: TensorData): boolean => data.buffer instanceof SharedArrayBuffer

/**
 * Where rows `[start, ...)` of the batch inputs given in shared memory lie,
 * for the worker of those rows to read in place.
 *
 * @internal
 */
export const rowsInPlace = (layout: RunLayout, feeds: Feeds, start: number): RowsInPlace[] =>
  layout.feeds.flatMap((slot) => {
    const data = feeds[slot.name]!.data
    if (!slot.batched || !inSharedMemory(data)) return []
    const row = sizeOf(slot.shape.slice(1))
    return [{ name: slot.name, buffer: data.buffer as SharedArrayBuffer, byteOffset: data.byteOffset + start * row * bytesOf(slot.dtype) }]
  })

/**
 * Copies rows `[start, start + rows)` of the split feeds into `buffer`, so
 * that a shard can start as soon as its own rows are in place; those in
 * shared memory already are left where they are (see {@link rowsInPlace}).
 *
 * @internal
 */
export const writeRows = (buffer: SharedArrayBuffer, layout: RunLayout, feeds: Feeds, start: number, rows: number): void => {
  for (const slot of layout.feeds) {
    if (!slot.batched || inSharedMemory(feeds[slot.name]!.data)) continue
    const row = sizeOf(slot.shape.slice(1))
    const data = feeds[slot.name]!.data.subarray(start * row, (start + rows) * row)
    viewOf(buffer, { dtype: slot.dtype, byteOffset: slot.byteOffset + start * row * bytesOf(slot.dtype), length: data.length }).set(data)
  }
}

/**
 * The feed views of one shard: rows `[start, start + rows)` of every
 * batched feed, and the whole of every other feed.
 *
 * @internal
 */
export const shardViews = (layout: RunLayout, start: number, rows: number): FeedView[] =>
  layout.feeds.map((slot) => {
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
 * The feeds of a shard as views into `buffer` (in the worker), or, for
 * the batch inputs named in `inPlace`, into the caller's shared arrays.
 *
 * @internal
 */
export const readFeeds = (buffer: SharedArrayBuffer, views: readonly FeedView[], inPlace?: readonly RowsInPlace[]): Feeds =>
  Object.fromEntries(
    views.map((v) => {
      const rows = inPlace?.find((r) => r.name === v.name)
      const data = rows === undefined ? viewOf(buffer, v) : viewOf(rows.buffer, { ...v, byteOffset: rows.byteOffset })
      return [v.name, { shape: v.shape, dtype: v.dtype, data }]
    }),
  )
