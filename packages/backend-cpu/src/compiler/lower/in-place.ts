import type { NodeId } from '@backprop/graph'
import { type Instr, readsOf, type Storage, type StorageId, type View } from './ir.js'

/**
 * How the updates of a run reach their parameters' state: the update values
 * computed straight into the state (`aliases`, value storage to state
 * storage), the rest copied at the end of the run (instructions appended to
 * `instrs`), and the output views to read after the run (an output showing
 * a parameter's old value is copied before the updates overwrite it).
 *
 * @internal
 */
export interface PlacedUpdates {
  readonly aliases: ReadonlyMap<StorageId, StorageId>
  readonly outputs: readonly View[]
}

/**
 * Places each update of a lowered run (`updates`: the value node, its view
 * and the parameter's state storage), in order. `gather` appends a copy of
 * a view into a new temporary and returns the copy's view.
 *
 * @internal
 */
export const placeUpdates = (
  updates: readonly { readonly value: NodeId; readonly view: View; readonly state: StorageId }[],
  outputs: readonly View[],
  storages: readonly Storage[],
  instrs: Instr[],
  instrOfRoot: ReadonlyMap<NodeId, number>,
  gather: (view: View, dtype: Storage['dtype']) => View,
): PlacedUpdates => {
  const isState = (s: StorageId): boolean => storages[s]!.role === 'state'
  const aliases = new Map<StorageId, StorageId>()
  const copies: { from: View; to: StorageId }[] = []
  for (const u of updates) {
    // A value that already went in place into another parameter is copied from there.
    const free = !aliases.has(u.view.storage)
    const others = updates.filter((o) => o !== u).map((o) => o.view)
    if (free && inPlace(u.value, u.state, instrs, instrOfRoot, outputs, others)) {
      aliases.set(u.view.storage, u.state)
      continue
    }
    // Copied at the end of the run; a value that is itself a state is read
    // through a copy, so that no update sees another one's new value.
    const from = isState(u.view.storage) ? gather(u.view, storages[u.view.storage]!.dtype) : u.view
    copies.push({ from, to: u.state })
  }
  // Outputs are read after the run, so one that shows a parameter's old
  // value is copied before the updates overwrite it.
  const read = copies.length > 0 ? outputs.map((v) => (isState(v.storage) ? gather(v, storages[v.storage]!.dtype) : v)) : outputs
  for (const { from, to } of copies) instrs.push({ kind: 'gather', dtype: storages[to]!.dtype, from, out: to })
  return { aliases, outputs: read }
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
