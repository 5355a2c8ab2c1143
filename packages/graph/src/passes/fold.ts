import type { Builder } from '../builder.js'
import type { Node, NodeId } from '../graph.js'
import { type OpName, opNames, ops } from '../ops.js'
import { type DType, type Shape, sizeOf } from '../shape.js'
import { makePass, type Pass } from './pass.js'
import { onOps, rewriteGraph, type Rewrite } from './rewrite.js'
import {
  elementwise,
  matmulValues,
  reduceValues,
  splatOf,
  transposeValues,
  valuesOf,
} from './tensor.js'

/**
 * The largest tensor constant (in elements) that folding materialises. A
 * constant whose elements are all equal is stored as one value and folds at
 * any size; beyond this limit a fold that would need every element is left
 * to the backend, which computes it faster than a graph attribute can hold it.
 *
 * @category Passes
 */
export const maxFoldSize = 1 << 14

// Multiply-adds a folded matmul may cost.
const maxFoldWork = 1 << 20

const round = (dtype: DType): ((v: number) => number) =>
  dtype === 'f32' ? Math.fround : (v) => v

/** A constant with `values`, stored as one value when they are all equal. */
const constant = (b: Builder, values: readonly number[], shape: Shape, dtype: DType): NodeId => {
  const r = round(dtype)
  const first = values[0]
  if (first === undefined || values.every((v) => Object.is(v, first))) {
    return b.scalar(r(first ?? 0), dtype, shape)
  }
  return b.constant(dtype === 'f32' ? values.map(r) : values, shape, dtype)
}

const splat = (b: Builder, value: number, node: Node): NodeId =>
  b.scalar(round(node.dtype)(value), node.dtype, node.shape)

const small = (...nodes: readonly { readonly shape: Shape }[]): boolean =>
  nodes.every((n) => sizeOf(n.shape) <= maxFoldSize)

/** The folded value of `node` whose operands are the constants `xs`, or undefined. */
const foldNode = (b: Builder, node: Node, xs: readonly Node[]): NodeId | undefined => {
  const def = ops[node.op]
  const splats = xs.map(splatOf)
  const allSplat = splats.every((s) => s !== undefined)
  const [x] = xs as [Node]
  const [s] = splats as [number | undefined]
  switch (node.op) {
    case 'reshape':
      return s !== undefined
        ? splat(b, s, node)
        : constant(b, valuesOf(x), node.shape, node.dtype)
    case 'broadcast':
      if (s !== undefined) return splat(b, s, node)
      return small(node) ? constant(b, elementwise((v) => v, xs, node.shape), node.shape, node.dtype) : undefined
    // A part of equal elements, or a join of two parts of the same element.
    case 'slice':
    case 'index':
      return s !== undefined ? splat(b, s, node) : undefined
    case 'concat':
      return allSplat && Object.is(splats[0], splats[1]) ? splat(b, splats[0]!, node) : undefined
    case 'transpose':
      if (s !== undefined) return splat(b, s, node)
      return small(node) ? constant(b, transposeValues(x, node.attrs.perm!), node.shape, node.dtype) : undefined
    case 'sum':
    case 'reduceMax': {
      const count = sizeOf(x.shape) / Math.max(sizeOf(node.shape), 1)
      const sum = node.op === 'sum'
      if (s !== undefined && count > 0) return splat(b, sum ? s * count : s, node)
      if (!small(x)) return undefined
      const values = sum
        ? reduceValues(x, node.attrs.axes!, node.shape, 0, (acc, v) => acc + v)
        : reduceValues(x, node.attrs.axes!, node.shape, -Infinity, Math.max)
      return constant(b, values, node.shape, node.dtype)
    }
    case 'matmul': {
      const [a, c] = xs as [Node, Node]
      const k = a.shape[1]!
      if (allSplat) return splat(b, splats[0]! * splats[1]! * k, node)
      if (sizeOf(a.shape) * c.shape[1]! > maxFoldWork || !small(a, c, node)) return undefined
      return constant(b, matmulValues(a, c), node.shape, node.dtype)
    }
    // Along one axis of equal elements: softmax is uniform, the rest follow.
    case 'softmax':
    case 'logSoftmax':
    case 'logSumExp': {
      if (s === undefined) return undefined
      const n = x.shape[node.attrs.axis!]!
      if (n === 0) return undefined
      const value = node.op === 'softmax' ? 1 / n : node.op === 'logSoftmax' ? -Math.log(n) : s + Math.log(n)
      return splat(b, value, node)
    }
    default:
      if (def.kind !== 'elementwise' || def.fn === undefined) return undefined
      if (allSplat) return splat(b, def.fn(...(splats as number[])), node)
      return small(node) ? constant(b, elementwise(def.fn, xs, node.shape), node.shape, node.dtype) : undefined
  }
}

// Every op with operands except stopGradient, which marks where differentiation stops.
const foldable: readonly OpName[] = opNames.filter((op) => ops[op].arity > 0 && op !== 'stopGradient')

/**
 * Constant folding as a rewrite: a node whose operands are all constants
 * becomes a constant. Elementwise ops use their `ops[op].fn` with
 * broadcasting; reshape, transpose, broadcast, sum, reduceMax and matmul are
 * folded too, and softmax, logSoftmax and logSumExp of equal elements. A
 * result whose elements are all equal is stored as one `value` with the
 * node's shape. `stopGradient` is kept (it marks where differentiation
 * stops), and results larger than {@link maxFoldSize} elements are left alone
 * unless they are uniform.
 *
 * @category Rewrites
 */
export const foldConstant: Rewrite = onOps(foldable, (b, _id, node) => {
  if (node.inputs.length === 0 || node.op === 'stopGradient') return undefined
  const xs: Node[] = []
  for (const i of node.inputs) {
    const x = b.node(i)
    if (x.op !== 'const') return undefined
    xs.push(x)
  }
  return foldNode(b, node, xs)
})

/**
 * The constant-folding rule table: `[foldConstant]`.
 *
 * @category Rewrites
 */
export const constantRules: readonly Rewrite[] = [foldConstant]

/**
 * Folds every node whose operands are all constants into a constant (see
 * {@link foldConstant}), bottom-up in one sweep so that chains of constant
 * ops collapse, then prunes what the outputs no longer need.
 *
 * @example
 * ```ts
 * const { graph: g, result: y } = buildOrThrow(emptyGraph, (b) =>
 *   b.mul(b.input('x'), b.exp(b.scalar(0))))
 * foldConstants(g, [y]) // x * 1
 * ```
 * @category Passes
 */
export const foldConstants: Pass<void> = makePass((graph, outputs) =>
  rewriteGraph(graph, outputs, constantRules),
)
