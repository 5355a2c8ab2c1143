import { type Shape, sizeOf, stridesOf } from '@backprop/graph'
import type { StorageId, View } from './ir.js'

/** The whole of a storage read row-major as `shape`. @internal */
export const contiguous = (storage: StorageId, shape: Shape, offset = 0): View => ({
  storage,
  offset,
  shape,
  strides: stridesOf(shape),
})

/**
 * True when the view reads its elements in row-major order without gaps,
 * so it can be handed to code that expects a plain array (axes of extent 1
 * may have any stride, since they are never stepped along).
 *
 * @internal
 */
export const isContiguous = (view: View): boolean => {
  let expected = 1
  for (let axis = view.shape.length - 1; axis >= 0; axis--) {
    const extent = view.shape[axis]!
    if (extent === 1) continue
    if (view.strides[axis] !== expected) return false
    expected *= extent
  }
  return true
}

/** Output axis `i` is axis `perm[i]` of the view. @internal */
export const transposeView = (view: View, perm: readonly number[]): View => ({
  storage: view.storage,
  offset: view.offset,
  shape: perm.map((p) => view.shape[p]!),
  strides: perm.map((p) => view.strides[p]!),
})

/**
 * The view stretched to `shape` by NumPy's rules: axes are aligned at the
 * end, and missing or stretched (extent 1) axes get stride 0.
 *
 * @internal
 */
export const broadcastView = (view: View, shape: Shape): View => {
  const lead = shape.length - view.shape.length
  return {
    storage: view.storage,
    offset: view.offset,
    shape,
    strides: shape.map((extent, axis) => {
      const own = axis - lead
      if (own < 0) return 0
      return view.shape[own] === 1 && extent !== 1 ? 0 : view.strides[own]!
    }),
  }
}

/**
 * The view read as `shape` (same elements, same row-major order) without
 * copying, when its strides allow it, else `undefined`. Runs of axes whose
 * extents multiply to the same number are matched between the two shapes;
 * the old axes of a run must be mergeable (each stride the next one's
 * stride times its extent), and the new axes then get strides within it.
 *
 * @internal
 */
export const reshapeView = (view: View, shape: Shape): View | undefined => {
  if (sizeOf(shape) === 0) return contiguous(view.storage, shape, view.offset)
  const oldShape: number[] = []
  const oldStrides: number[] = []
  view.shape.forEach((d, i) => {
    if (d !== 1) {
      oldShape.push(d)
      oldStrides.push(view.strides[i]!)
    }
  })
  const strides = new Array<number>(shape.length).fill(0)
  let i = 0
  let j = 0
  while (i < oldShape.length || j < shape.length) {
    // New axes of extent 1 never move: any stride will do.
    if (j < shape.length && shape[j] === 1) {
      j++
      continue
    }
    if (i >= oldShape.length || j >= shape.length) return undefined
    let oldEnd = i + 1
    let newEnd = j + 1
    let oldSize = oldShape[i]!
    let newSize = shape[j]!
    while (oldSize !== newSize) {
      if (oldSize < newSize) {
        if (oldEnd >= oldShape.length) return undefined
        oldSize *= oldShape[oldEnd++]!
      } else {
        if (newEnd >= shape.length) return undefined
        newSize *= shape[newEnd++]!
      }
    }
    for (let k = i; k < oldEnd - 1; k++) {
      if (oldStrides[k] !== oldStrides[k + 1]! * oldShape[k + 1]!) return undefined
    }
    let stride = oldStrides[oldEnd - 1]!
    for (let k = newEnd - 1; k >= j; k--) {
      strides[k] = stride
      stride *= shape[k]!
    }
    i = oldEnd
    j = newEnd
  }
  return { storage: view.storage, offset: view.offset, shape, strides }
}

/**
 * Positions `start` to `end` of the view along `axis` (`slice`), or with
 * `drop` the one position `start` with the axis removed (`index`): the same
 * storage from a later offset.
 *
 * @internal
 */
export const sliceView = (view: View, axis: number, start: number, end: number, drop: boolean): View => {
  const offset = view.offset + start * view.strides[axis]!
  if (drop) {
    return { storage: view.storage, offset, shape: view.shape.filter((_, i) => i !== axis), strides: view.strides.filter((_, i) => i !== axis) }
  }
  return { storage: view.storage, offset, shape: view.shape.map((d, i) => (i === axis ? end - start : d)), strides: view.strides }
}
