import { allocate, type TensorData, type TensorSpec } from '@backprop/backend'
import { sizeOf } from '@backprop/graph'
import type { OutputKind } from '../splitting/partition.js'
import { addInto } from './sum.js'

/**
 * Adds the shards' parts of a partial sum in shard order, (shard 0 + shard 1)
 * + shard 2 ..., into the first part, which the caller must own. The order
 * never depends on which worker finished first. An f32 output is rounded to
 * float32 after every addition, as the CPU backend's own f32 sums are. The
 * executable does the same additions in its run buffer (see `sum.ts`);
 * this is the reference that `testing/sharded.ts` combines with.
 *
 * @internal
 */
export const sumShards = (parts: readonly TensorData[]): TensorData => {
  const out = parts[0]!
  for (let k = 1; k < parts.length; k++) addInto(out, parts[k]!)
  return out
}

/**
 * Concatenates the shards' slices of an output along its batch axis `axis`,
 * in shard order, into a fresh array: shard k holds `rows[k]` of the full
 * extent along that axis.
 *
 * @internal
 */
export const concatShards = (spec: TensorSpec, axis: number, parts: readonly TensorData[], rows: readonly number[]): TensorData => {
  const out = allocate(spec.dtype, sizeOf(spec.shape))
  const outer = sizeOf(spec.shape.slice(0, axis))
  const inner = sizeOf(spec.shape.slice(axis + 1))
  const extent = spec.shape[axis]!
  let offset = 0
  parts.forEach((part, k) => {
    const block = rows[k]! * inner
    for (let o = 0; o < outer; o++) out.set(part.subarray(o * block, (o + 1) * block), (o * extent + offset) * inner)
    offset += rows[k]!
  })
  return out
}

/**
 * The full value of one output from the shards' values (`parts[k]` from
 * shard k, arrays the caller owns): shard 0's value for kind `first`, the
 * parts summed into shard 0's array for `sum`, a new array for `concat`.
 *
 * @internal
 */
export const combine = (
  kind: OutputKind,
  spec: TensorSpec,
  parts: readonly TensorData[],
  rows: readonly number[],
): TensorData => {
  if (kind.kind === 'first' || parts.length === 1) return parts[0]!
  return kind.kind === 'sum' ? sumShards(parts) : concatShards(spec, kind.axis, parts, rows)
}
