import { type Shape, sizeOf, stridesOf } from '@backprop/graph'

/**
 * Strides for reading a tensor of shape `from` as if it had the broadcast
 * shape `to`: axes are aligned at the end, and an axis that is missing or
 * stretched from extent 1 gets stride 0.
 *
 * @internal
 */
export const broadcastStrides = (from: Shape, to: Shape): number[] => {
  const own = stridesOf(from)
  const offset = to.length - from.length
  return to.map((extent, axis) => {
    const a = axis - offset
    return a < 0 || (from[a] === 1 && extent !== 1) ? 0 : own[a]!
  })
}

/**
 * Visits the rows (runs along the last axis) of a row-major tensor of
 * `shape`, in order. For each row, `visit` gets the row's start offset in
 * every strided operand (`strides[k]` gives operand k's stride per axis) and
 * the row's start in the output; it then walks the row itself with the
 * last-axis strides, which keeps the per-element loop free of index math.
 * A scalar shape is one row of one element.
 *
 * @internal
 */
export const forEachRow = (
  shape: Shape,
  strides: readonly (readonly number[])[],
  visit: (offsets: readonly number[], out: number) => void,
): void => {
  const size = sizeOf(shape)
  if (size === 0) return
  const rank = shape.length
  const inner = rank === 0 ? 1 : shape[rank - 1]!
  const offsets = strides.map(() => 0)
  const index = new Array<number>(rank).fill(0)
  for (let out = 0; out < size; out += inner) {
    visit(offsets, out)
    // Advance the odometer over the outer axes, last axis fastest.
    for (let axis = rank - 2; axis >= 0; axis--) {
      const extent = shape[axis]!
      if (++index[axis]! < extent) {
        for (let k = 0; k < strides.length; k++) offsets[k]! += strides[k]![axis]!
        break
      }
      index[axis] = 0
      for (let k = 0; k < strides.length; k++) offsets[k]! -= strides[k]![axis]! * (extent - 1)
    }
  }
}

/** The stride of the last axis (0 for a scalar, which has a single element). @internal */
export const innerStride = (strides: readonly number[]): number => strides[strides.length - 1] ?? 0

/** The extent of the last axis (1 for a scalar). @internal */
export const innerExtent = (shape: Shape): number => (shape.length === 0 ? 1 : shape[shape.length - 1]!)
