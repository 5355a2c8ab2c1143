import { ancestors, type Graph, type NodeId, sizeOf, stridesOf } from '@backprop/graph'
import { planFusion } from './fuse.js'
import { placeUpdates } from './in-place.js'
import { chooseLayout } from './layout.js'
import {
  type ElementwiseOp,
  type Expr,
  type Group,
  type Instr,
  type Leaf,
  type Operand2D,
  type Storage,
  type StorageId,
  type View,
} from './ir.js'
import { broadcastView, contiguous, isContiguous, reshapeView, sliceView, transposeView } from './views.js'

/**
 * A graph lowered to instructions over storages: what an executable runs,
 * before memory is laid out and code is generated for a target.
 *
 * @internal
 */
export interface Lowered {
  readonly storages: readonly Storage[]
  readonly instrs: readonly Instr[]
  /** How to read each requested output at the end of a run. */
  readonly outputs: readonly View[]
  /** The storages to fill from the feeds at the start of a run. */
  readonly feeds: readonly { readonly name: string; readonly storage: StorageId }[]
  /** The parameters held as state, with their storages. */
  readonly state: readonly { readonly name: string; readonly storage: StorageId }[]
  /**
   * Storages that share the memory of another one: the result of an update
   * computed in place into its parameter's state.
   */
  readonly aliases: ReadonlyMap<StorageId, StorageId>
}

/**
 * Options of {@link lower}.
 *
 * @internal
 */
export interface LowerOptions {
  /** In-place parameter updates: after each run, `param` (a param node) takes the value of `value`. */
  readonly updates?: readonly { readonly param: NodeId; readonly value: NodeId }[]
  /** Fuse elementwise chains and matrix-product epilogues (default true). */
  readonly fuse?: boolean
}

/**
 * Lowers `outputs` (and the `updates`) of `graph` to instructions, in the
 * order of the graph's nodes:
 *
 * - reshapes, transposes, broadcasts and `stopGradient` become views of
 *   their operand's storage (copied only where a kernel needs contiguous
 *   data), so `matmul(x, transpose(W))` reads W in place;
 * - the elementwise groups that `planFusion` chose become one loop each,
 *   keeping every intermediate in registers and storing only its root, and
 *   a product fused into a group computes it as its epilogue (bias,
 *   activation, or an optimiser's update), applied to blocks of rows while
 *   they are in cache;
 * - updates are written straight into their parameters' state where
 *   `placeUpdates` allows it, and copied at the end of the run otherwise.
 *
 * @internal
 */
export const lower = (graph: Graph, outputs: readonly NodeId[], options: LowerOptions = {}): Lowered => {
  const nodes = graph.nodes
  const updates = options.updates ?? []
  const fuse = options.fuse ?? true
  const roots = [...outputs, ...updates.map((u) => u.value)]
  const needed = ancestors(graph, roots)
  const consumers = new Map<NodeId, NodeId[]>()
  for (const id of needed) {
    for (const i of nodes[id]!.inputs) {
      const list = consumers.get(i)
      if (list) list.push(id)
      else consumers.set(i, [id])
    }
  }
  const pinned = new Set(roots)

  const { groupOf, matmulOfGroup, fusedMatmul, transposedMatmul } = planFusion(nodes, needed, consumers, pinned, fuse)
  // Groups that only a sum over all their axes reads: summed as they are computed, never stored.
  const summed = new Set<NodeId>()
  if (fuse) {
    for (const id of needed) {
      const node = nodes[id]!
      const x = node.inputs[0]!
      if (node.op !== 'sum' || groupOf[x] !== x || pinned.has(x) || matmulOfGroup.has(x)) continue
      if (consumers.get(x)!.length === 1 && node.attrs.axes!.length === nodes[x]!.shape.length) summed.add(x)
    }
  }

  const storages: Storage[] = []
  const newStorage = (s: Omit<Storage, 'id'>): StorageId => {
    storages.push({ id: storages.length, ...s })
    return storages.length - 1
  }
  const instrs: Instr[] = []
  const views: (View | undefined)[] = new Array(nodes.length)
  const temp = (dtype: Storage['dtype'], size: number): StorageId => newStorage({ role: 'temp', dtype, size })
  const gather = (view: View, dtype: Storage['dtype']): View => {
    const out = temp(dtype, sizeOf(view.shape))
    instrs.push({ kind: 'gather', dtype, from: view, out })
    return contiguous(out, view.shape)
  }
  const contiguousOf = (view: View, dtype: Storage['dtype']): View => (isContiguous(view) ? view : gather(view, dtype))
  const constantOf = (view: View): number | undefined => {
    const s = storages[view.storage]!
    if (s.role !== 'const' || s.size !== 1) return undefined
    return typeof s.values === 'number' ? s.values : s.values![0]
  }
  const operand2D = (view: View): Operand2D => ({
    storage: view.storage,
    offset: view.offset,
    rowStride: view.strides[0]!,
    colStride: view.strides[1]!,
  })

  /** The instruction computing matmul node `id` into `out`, transposed when only transposes read it. */
  const matmulInstr = (id: NodeId, out: StorageId, epilogue?: Group): Instr => {
    const node = nodes[id]!
    const [a, b] = node.inputs.map((i) => views[i]!) as [View, View]
    const [m, n] = node.shape as [number, number]
    const k = a.shape[1]!
    const swap = transposedMatmul.has(id)
    return {
      kind: 'matmul',
      dtype: node.dtype,
      m: swap ? n : m,
      n: swap ? m : n,
      k,
      a: operand2D(swap ? transposeView(b, [1, 0]) : a),
      b: operand2D(swap ? transposeView(a, [1, 0]) : b),
      out,
      ...(epilogue ? { epilogue } : {}),
    }
  }

  const stateOf = new Map<string, StorageId>()
  for (const u of updates) {
    const p = nodes[u.param]!
    stateOf.set(p.attrs.name!, newStorage({ role: 'state', dtype: p.dtype, size: sizeOf(p.shape), name: p.attrs.name! }))
  }
  const feeds: { name: string; storage: StorageId }[] = []
  const instrOfRoot = new Map<NodeId, number>()

  const emitGroup = (root: NodeId): void => {
    const rootNode = nodes[root]!
    const dtype = rootNode.dtype
    const memberSet = new Set<NodeId>()
    const stack = [root]
    while (stack.length > 0) {
      const id = stack.pop()!
      if (memberSet.has(id)) continue
      memberSet.add(id)
      for (const i of nodes[id]!.inputs) if (groupOf[i] === root && !memberSet.has(i)) stack.push(i)
    }
    const members = [...memberSet].sort((a, b) => a - b)
    const matmul = matmulOfGroup.get(root)
    const leafViews: View[] = []
    const leafIndex = new Map<string, number>()
    const exprs: Expr[] = []
    const exprOf = new Map<NodeId, number>()
    const operand = (i: NodeId): number => {
      const known = exprOf.get(i)
      if (known !== undefined) return known
      const v = broadcastView(views[i]!, rootNode.shape)
      const key = `${v.storage}:${v.offset}:${v.strides.join(',')}`
      let leaf = leafIndex.get(key)
      if (leaf === undefined) {
        leaf = leafViews.length
        leafViews.push(v)
        leafIndex.set(key, leaf)
      }
      exprOf.set(i, exprs.length)
      exprs.push({ kind: 'leaf', leaf })
      return exprs.length - 1
    }
    for (const id of members) {
      const node = nodes[id]!
      const args = node.inputs.map(operand)
      exprOf.set(id, exprs.length)
      exprs.push({ kind: 'op', op: node.op as ElementwiseOp, args })
    }
    const { layout, leaves } = chooseLayout(rootNode.shape, leafViews, matmul !== undefined ? 1 : undefined)
    const finalLeaves: Leaf[] = leafViews.map((v, i) => {
      const constant = constantOf(v)
      if (constant !== undefined) return { storage: v.storage, offset: 0, rowStride: 0, colStride: 0, constant }
      const l = leaves[i]
      if (l !== undefined) return { storage: v.storage, offset: v.offset, ...l }
      // Read in neither layout: copied contiguous first, which every layout reads.
      const copy = gather(v, dtype)
      return { storage: copy.storage, offset: 0, rowStride: layout.cols, colStride: 1 }
    })
    const sum = summed.has(root)
    const out = temp(dtype, sum ? 1 : sizeOf(rootNode.shape))
    // A summed group's one element is its reader's (the sum's) value; the group itself is never read.
    views[root] = contiguous(out, sum ? [] : rootNode.shape)
    const group: Group = { dtype, rows: layout.rows, cols: layout.cols, leaves: finalLeaves, exprs, out, ...(sum ? { sum } : {}) }
    if (matmul !== undefined) {
      instrs.push(matmulInstr(matmul, views[matmul]!.storage, group))
    } else {
      instrs.push({ kind: 'group', group })
    }
    instrOfRoot.set(root, instrs.length - 1)
  }

  for (const id of needed) {
    const node = nodes[id]!
    const input = (k: number): View => views[node.inputs[k]!]!
    switch (node.op) {
      case 'input':
      case 'param': {
        const name = node.attrs.name!
        const state = node.op === 'param' ? stateOf.get(name) : undefined
        const storage = state ?? newStorage({ role: 'feed', dtype: node.dtype, size: sizeOf(node.shape), name })
        if (state === undefined) feeds.push({ name, storage })
        views[id] = contiguous(storage, node.shape)
        break
      }
      case 'const': {
        const values = node.attrs.values ?? node.attrs.value!
        views[id] = contiguous(newStorage({ role: 'const', dtype: node.dtype, size: sizeOf(node.shape), values }), node.shape)
        break
      }
      case 'stopGradient':
        views[id] = input(0)
        break
      case 'reshape':
        views[id] = reshapeView(input(0), node.shape) ?? contiguous(gather(input(0), node.dtype).storage, node.shape)
        break
      case 'broadcast':
        views[id] = broadcastView(input(0), node.shape)
        break
      case 'transpose':
        views[id] = transposeView(input(0), node.attrs.perm!)
        break
      case 'slice':
      case 'index': {
        const { axis, start, end } = node.attrs
        views[id] = sliceView(input(0), axis!, start!, end ?? start! + 1, node.op === 'index')
        break
      }
      case 'concat': {
        // Each operand copied into its part of one buffer.
        const out = temp(node.dtype, sizeOf(node.shape))
        const strides = stridesOf(node.shape)
        const axis = node.attrs.axis!
        const cut = nodes[node.inputs[0]!]!.shape[axis]!
        instrs.push({ kind: 'gather', dtype: node.dtype, from: input(0), out, into: { offset: 0, strides } })
        instrs.push({ kind: 'gather', dtype: node.dtype, from: input(1), out, into: { offset: cut * strides[axis]!, strides } })
        views[id] = contiguous(out, node.shape)
        break
      }
      case 'matmul': {
        const out = temp(node.dtype, sizeOf(node.shape))
        const [m, n] = node.shape as [number, number]
        views[id] = transposedMatmul.has(id) ? transposeView(contiguous(out, [n, m]), [1, 0]) : contiguous(out, node.shape)
        // A fused product is computed with its epilogue, at the epilogue's root.
        if (!fusedMatmul.has(id)) instrs.push(matmulInstr(id, out))
        break
      }
      case 'sum':
      case 'reduceMax': {
        if (node.op === 'sum' && summed.has(node.inputs[0]!)) {
          views[id] = contiguous(input(0).storage, node.shape)
          break
        }
        const x = contiguousOf(input(0), node.dtype)
        const out = temp(node.dtype, sizeOf(node.shape))
        instrs.push({
          kind: 'reduce',
          op: node.op === 'sum' ? 'sum' : 'max',
          dtype: node.dtype,
          shape: x.shape,
          axes: node.attrs.axes!,
          input: x.storage,
          inputOffset: x.offset,
          out,
        })
        views[id] = contiguous(out, node.shape)
        break
      }
      case 'softmax':
      case 'logSoftmax':
      case 'logSumExp': {
        const x = contiguousOf(input(0), node.dtype)
        const out = temp(node.dtype, sizeOf(node.shape))
        instrs.push({
          kind: 'axis',
          op: node.op,
          dtype: node.dtype,
          shape: x.shape,
          axis: node.attrs.axis!,
          input: x.storage,
          inputOffset: x.offset,
          out,
        })
        views[id] = contiguous(out, node.shape)
        break
      }
      default:
        if (groupOf[id] === id) emitGroup(id)
    }
  }

  const placed = placeUpdates(
    updates.map((u) => ({ value: u.value, view: views[u.value]!, state: stateOf.get(nodes[u.param]!.attrs.name!)! })),
    outputs.map((id) => views[id]!),
    storages,
    instrs,
    instrOfRoot,
    gather,
  )

  return {
    storages,
    instrs,
    outputs: placed.outputs,
    feeds,
    state: [...stateOf].map(([name, storage]) => ({ name, storage })),
    aliases: placed.aliases,
  }
}
