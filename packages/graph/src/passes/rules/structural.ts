// Identities of the structural ops (transpose, reshape, broadcast) and of
// reductions: they remove data movement that does not move anything.
import type { NodeId } from '../../graph.js'
import { sameShape, sizeOf } from '../../shape.js'
import { onOps, type Rewrite } from '../rewrite.js'

const isIdentity = (perm: readonly number[]): boolean => perm.every((p, i) => p === i)

// transpose(x, identity) -> x
const transposeIdentity = onOps(['transpose'], (_b, _id, n) =>
  n.op === 'transpose' && isIdentity(n.attrs.perm!) ? n.inputs[0] : undefined)

// transpose(transpose(x, p), q) -> transpose(x, p∘q), or x when that is the identity
const transposeTranspose = onOps(['transpose'], (b, _id, n) => {
  if (n.op !== 'transpose') return undefined
  const inner = b.node(n.inputs[0]!)
  if (inner.op !== 'transpose') return undefined
  const p = inner.attrs.perm!
  // Output axis j of the outer reads its axis q[j], which is axis p[q[j]] of x.
  const perm = n.attrs.perm!.map((q) => p[q]!)
  return b.transpose(inner.inputs[0]!, perm)
})

/**
 * What transposing the matrix `id` costs: nothing where the transpose cancels
 * (a transpose), folds (a constant) or only moves an extent-1 axis (a row or
 * column, which `transposeAsReshape` turns into a reshape); one otherwise.
 */
const transposeCost = (b: Parameters<Rewrite>[0], id: NodeId): number => {
  const n = b.node(id)
  return n.op === 'transpose' || n.op === 'const' || n.shape[0] === 1 || n.shape[1] === 1 ? 0 : 1
}

// transpose(matmul(a, b)) -> matmul(transpose(b), transpose(a))
// Only where the new transposes cost no more than the old one: where one of
// them cancels or folds, or both only move an extent-1 axis, as in the
// gradient (w^T x - t) x^T of a column w, which becomes matmul(x, w^T x - t).
const transposeMatmul = onOps(['transpose'], (b, _id, n) => {
  if (n.op !== 'transpose') return undefined
  const m = b.node(n.inputs[0]!)
  if (m.op !== 'matmul' || n.attrs.perm![0] !== 1) return undefined
  const [x, y] = m.inputs as [NodeId, NodeId]
  const before = m.shape[0] === 1 || m.shape[1] === 1 ? 0 : 1
  if (transposeCost(b, x) + transposeCost(b, y) > before) return undefined
  return b.matmul(b.transpose(y, [1, 0]), b.transpose(x, [1, 0]))
})

// transpose(x) -> reshape(x)   when only extent-1 axes move, so the element order is kept
const transposeAsReshape = onOps(['transpose'], (b, _id, n) => {
  if (n.op !== 'transpose') return undefined
  const x = b.node(n.inputs[0]!)
  let last = -1
  for (const p of n.attrs.perm!) {
    if (x.shape[p] === 1) continue
    if (p < last) return undefined
    last = p
  }
  return b.reshape(n.inputs[0]!, n.shape)
})

// reshape(x, shape(x)) -> x
const reshapeSame = onOps(['reshape'], (b, _id, n) =>
  n.op === 'reshape' && sameShape(b.node(n.inputs[0]!).shape, n.shape) ? n.inputs[0] : undefined)

// reshape(reshape(x, s), t) -> reshape(x, t)
const reshapeReshape = onOps(['reshape'], (b, _id, n) => {
  if (n.op !== 'reshape') return undefined
  const inner = b.node(n.inputs[0]!)
  return inner.op === 'reshape' ? b.reshape(inner.inputs[0]!, n.shape) : undefined
})

// broadcast(x, shape(x)) -> x
const broadcastSame = onOps(['broadcast'], (b, _id, n) =>
  n.op === 'broadcast' && sameShape(b.node(n.inputs[0]!).shape, n.shape) ? n.inputs[0] : undefined)

// broadcast(broadcast(x, s), t) -> broadcast(x, t)
const broadcastBroadcast = onOps(['broadcast'], (b, _id, n) => {
  if (n.op !== 'broadcast') return undefined
  const inner = b.node(n.inputs[0]!)
  return inner.op === 'broadcast' ? b.broadcast(inner.inputs[0]!, n.shape) : undefined
})

// sum(x, axes) -> reshape(x),  reduceMax(x, axes) -> reshape(x)   when every reduced axis has extent 1
const reduceUnitAxes = onOps(['sum', 'reduceMax'], (b, _id, n) => {
  if (n.op !== 'sum' && n.op !== 'reduceMax') return undefined
  const x = b.node(n.inputs[0]!)
  return n.attrs.axes!.every((a) => x.shape[a] === 1) ? b.reshape(n.inputs[0]!, n.shape) : undefined
})

// sum(broadcast(x, s), axes) -> count * x   for a one-element x (count = elements summed per output)
const sumBroadcastScalar = onOps(['sum'], (b, _id, n) => {
  if (n.op !== 'sum') return undefined
  const inner = b.node(n.inputs[0]!)
  if (inner.op !== 'broadcast') return undefined
  const x = inner.inputs[0]!
  const xShape = b.node(x).shape
  if (sizeOf(xShape) !== 1 || sizeOf(n.shape) === 0) return undefined
  const count = sizeOf(inner.shape) / sizeOf(n.shape)
  const scalar = xShape.length === 0 ? x : b.reshape(x, [])
  return b.mul(b.scalarLike(count, x), scalar)
})

// reduceMax(broadcast(x, s), axes) -> x   for a one-element x (and a non-empty reduction)
const reduceMaxBroadcastScalar = onOps(['reduceMax'], (b, _id, n) => {
  if (n.op !== 'reduceMax') return undefined
  const inner = b.node(n.inputs[0]!)
  if (inner.op !== 'broadcast') return undefined
  const x = inner.inputs[0]!
  const xShape = b.node(x).shape
  if (sizeOf(xShape) !== 1 || sizeOf(inner.shape) === 0) return undefined
  return xShape.length === 0 ? x : b.reshape(x, [])
})

/**
 * Identities of the structural ops and reductions:
 * `transpose(x, identity) -> x`, `transpose(transpose(x, p), q) -> transpose(x, p∘q)`,
 * `transpose(matmul(a, b)) -> matmul(transpose b, transpose a)` (where those
 * transposes cost no more than the one they replace: one cancels or folds, or
 * both only move extent-1 axes), a transpose that moves only extent-1
 * axes `-> reshape`, `reshape(x, shape(x)) -> x`, `reshape(reshape(x)) -> reshape(x)`,
 * `broadcast(x, shape(x)) -> x`, `broadcast(broadcast(x)) -> broadcast(x)`,
 * `sum`/`reduceMax` over extent-1 axes only `-> reshape`,
 * `sum(broadcast(x, s)) -> count * x` and `reduceMax(broadcast(x, s)) -> x` for a
 * one-element x.
 *
 * @category Rewrites
 */
export const structuralRules: readonly Rewrite[] = [
  transposeIdentity,
  transposeTranspose,
  transposeMatmul,
  transposeAsReshape,
  reshapeSame,
  reshapeReshape,
  broadcastSame,
  broadcastBroadcast,
  reduceUnitAxes,
  sumBroadcastScalar,
  reduceMaxBroadcastScalar,
]
