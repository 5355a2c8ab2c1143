import { ancestors, type Graph, type NodeId, type OpName, ops, sameShape, sizeOf, stridesOf } from '@backprop/graph'
import { chooseLayout } from './layout.js'
import {
  type ElementwiseOp,
  type Expr,
  type Group,
  type Instr,
  type Leaf,
  type Operand2D,
  readsOf,
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

/** True for the ops a fused loop evaluates (`stopGradient` is a view). @internal */
export const isElementwise = (op: OpName): op is ElementwiseOp => ops[op].kind === 'elementwise' && op !== 'stopGradient'

/**
 * Lowers `outputs` (and the `updates`) of `graph` to instructions:
 *
 * - reshapes, transposes, broadcasts and `stopGradient` become views of
 *   their operand's storage (copied only where a kernel needs contiguous
 *   data), so `matmul(x, transpose(W))` reads W in place;
 * - each elementwise node whose consumers are all elementwise nodes of one
 *   group, of its shape, joins that group: a group is one loop that keeps
 *   every intermediate in registers and stores only its root;
 * - a matrix product whose consumers are all in one group becomes that
 *   group's epilogue (bias, activation, or an optimiser's update), applied
 *   to blocks of rows while they are in cache;
 * - an update whose value is the root of a group, and whose parameter is
 *   read by nothing after it, is written straight into the parameter's
 *   state.
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

  // Grouping, from the outputs backwards, so that consumers are placed first.
  const groupOf = new Int32Array(nodes.length).fill(-1)
  const matmulOfGroup = new Map<NodeId, NodeId>()
  const fusedMatmul = new Set<NodeId>()
  // Products that only transposes read are computed transposed, (A B)^T = B^T A^T,
  // so that the transpose is a plain view (a gradient dW = (z^T g)^T comes out as g^T z).
  const transposedMatmul = new Set<NodeId>()
  const isTranspose2D = (id: NodeId): boolean => nodes[id]!.op === 'transpose' && nodes[id]!.attrs.perm?.[0] === 1 && nodes[id]!.shape.length === 2
  const sharedGroup = (id: NodeId): number => {
    const cs = consumers.get(id)
    if (!fuse || pinned.has(id) || cs === undefined) return -1
    const g = groupOf[cs[0]!]!
    if (g < 0) return -1
    for (const c of cs) if (groupOf[c] !== g || !sameShape(nodes[c]!.shape, nodes[id]!.shape)) return -1
    return g
  }
  const fuseMatmul = (id: NodeId, group: number): void => {
    if (group < 0 || matmulOfGroup.has(group)) return
    matmulOfGroup.set(group, id)
    fusedMatmul.add(id)
  }
  for (let k = needed.length - 1; k >= 0; k--) {
    const id = needed[k]!
    const op = nodes[id]!.op
    const shared = sharedGroup(id)
    if (isElementwise(op)) groupOf[id] = shared >= 0 ? shared : id
    else if (op === 'matmul') {
      const cs = consumers.get(id) ?? []
      if (!pinned.has(id) && cs.length > 0 && cs.every(isTranspose2D)) {
        transposedMatmul.add(id)
        const groups = new Set(cs.map(sharedGroup))
        if (groups.size === 1) fuseMatmul(id, [...groups][0]!)
      } else {
        fuseMatmul(id, shared)
      }
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
    const out = temp(dtype, sizeOf(rootNode.shape))
    views[root] = contiguous(out, rootNode.shape)
    const group: Group = { dtype, rows: layout.rows, cols: layout.cols, leaves: finalLeaves, exprs, out }
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

  const isState = (s: StorageId): boolean => storages[s]!.role === 'state'
  const aliases = new Map<StorageId, StorageId>()
  let outputViews = outputs.map((id) => views[id]!)
  const copies: { from: View; to: StorageId }[] = []
  for (const u of updates) {
    const state = stateOf.get(nodes[u.param]!.attrs.name!)!
    const value = views[u.value]!
    // A value that already went in place into another parameter is copied from there.
    const free = !aliases.has(value.storage)
    if (free && inPlace(u.value, state, instrs, instrOfRoot, outputViews, updates.filter((o) => o !== u).map((o) => views[o.value]!))) {
      aliases.set(value.storage, state)
      continue
    }
    // Copied at the end of the run; a value that is itself a state is read
    // through a copy, so that no update sees another one's new value.
    const from = isState(value.storage) ? gather(value, storages[value.storage]!.dtype) : value
    copies.push({ from, to: state })
  }
  if (copies.length > 0) {
    // Outputs are read after the run, so one that shows a parameter's old
    // value is copied before the updates overwrite it.
    outputViews = outputViews.map((v) => (isState(v.storage) ? gather(v, storages[v.storage]!.dtype) : v))
  }
  for (const { from, to } of copies) instrs.push({ kind: 'gather', dtype: storages[to]!.dtype, from, out: to })

  return {
    storages,
    instrs,
    outputs: outputViews,
    feeds,
    state: [...stateOf].map(([name, storage]) => ({ name, storage })),
    aliases,
  }
}

/**
 * Whether the update to `value` can be computed straight into `state`: the
 * value is the root of a group, nothing after the group reads the
 * parameter, the group reads it only element for element (so each element
 * is read before it is overwritten), and no output or other update reads
 * the parameter's old value at the end of the run.
 */
const inPlace = (
  value: NodeId,
  state: StorageId,
  instrs: readonly Instr[],
  instrOfRoot: ReadonlyMap<NodeId, number>,
  outputs: readonly View[],
  otherUpdates: readonly View[],
): boolean => {
  const at = instrOfRoot.get(value)
  if (at === undefined) return false
  if (outputs.some((v) => v.storage === state) || otherUpdates.some((v) => v.storage === state)) return false
  for (let i = at + 1; i < instrs.length; i++) if (readsOf(instrs[i]!).includes(state)) return false
  const instr = instrs[at]!
  const group = instr.kind === 'group' ? instr.group : instr.kind === 'matmul' ? instr.epilogue! : undefined
  if (group === undefined) return false
  if (instr.kind === 'matmul' && (instr.a.storage === state || instr.b.storage === state)) return false
  return group.leaves.every(
    (l) =>
      l.storage !== state ||
      l.constant !== undefined ||
      (l.offset === 0 && l.colStride === 1 && (l.rowStride === group.cols || group.rows <= 1)),
  )
}
