import { type Activation, activationNames } from '../spec.js'
import { type FeedForwardSpec, sourceOf, unitNumber } from './spec.js'

// How a general network becomes a few tensors. Units are grouped so that one
// group's pre-activations are one [M, n] tensor computed from earlier groups
// by matrix products: a graph whose size grows with the number of groups, not
// with units times samples. A unit's level is 1 + the largest level among its
// sources (inputs are level 0), so every source of a level lies in an earlier
// level; hidden units are grouped by level and activation, and output units
// (which feed nothing) come last, grouped by activation, columns in the order
// of `outputs`. A layered network gives one group per layer.

/**
 * The weights from one earlier group (or the inputs) into a group: a dense
 * `[rows, cols]` parameter of which only the spec's edges are used; `mask`
 * (row-major 0/1) marks them, absent when every pair is an edge.
 *
 * @category General networks
 */
export interface Block {
  /** The source group, 0 for the inputs x. */
  readonly source: number
  /** The parameter's name, `W{group}_{source}`. */
  readonly name: string
  /** Units of the group. */
  readonly rows: number
  /** Units of the source group. */
  readonly cols: number
  /** 1 where an edge exists, 0 elsewhere; absent when all are edges. */
  readonly mask?: readonly number[]
}

/**
 * A group of units computed as one tensor: same activation, sources all in
 * earlier groups.
 *
 * @category General networks
 */
export interface UnitGroup {
  /** 1-based group number; group 0 is the inputs. */
  readonly group: number
  /** The unit numbers, in column order. */
  readonly units: readonly number[]
  /** The activation of every unit of the group. */
  readonly activation: Activation
  /** True for groups of output units (they come after all hidden groups). */
  readonly output: boolean
  /** One block per source group, in group order. */
  readonly blocks: readonly Block[]
  /** The bias parameter's name, `b{group}`. */
  readonly bias: string
}

/**
 * Where each unit lives: its group and column.
 *
 * @category General networks
 */
export interface Place {
  /** Group number (0 for inputs). */
  readonly group: number
  /** Column within the group. */
  readonly column: number
}

/**
 * The grouping of a general network's units into tensors.
 *
 * @category General networks
 */
export interface FeedForwardLayout {
  /** The groups, in computation order. */
  readonly groups: readonly UnitGroup[]
  /** `places[u]` for unit number u (1-based; inputs are group 0). */
  readonly places: readonly Place[]
  /** Parameter names, group by group: blocks then bias. */
  readonly paramNames: readonly string[]
}

/**
 * Groups the units of a validated spec (see the comment at the top of this
 * file for how). Deterministic: the same spec gives the same layout, and so
 * the same parameter names.
 *
 * @category General networks
 */
export const layoutOf = (spec: FeedForwardSpec): FeedForwardLayout => {
  const { inputs: D, units } = spec
  const outputs = new Set(spec.outputs)
  const level = new Array<number>(D + units.length + 1).fill(0)
  units.forEach((u, j) => {
    level[unitNumber(spec, j)] = 1 + u.in.reduce((m: number, e) => Math.max(m, level[sourceOf(e)]!), 0)
  })
  // hidden groups keyed by level and activation, in that order
  const hidden = new Map<string, { level: number; activation: Activation; units: number[] }>()
  units.forEach((u, j) => {
    const i = unitNumber(spec, j)
    if (outputs.has(i)) return
    const key = `${level[i]}:${u.activation}`
    const g = hidden.get(key) ?? { level: level[i]!, activation: u.activation, units: [] }
    g.units.push(i)
    hidden.set(key, g)
  })
  const rank = (h: Activation) => activationNames.indexOf(h)
  const hiddenGroups = [...hidden.values()].sort((a, b) => a.level - b.level || rank(a.activation) - rank(b.activation))
  const activationOf = (i: number): Activation => units[i - D - 1]!.activation
  const outputGroups = activationNames.flatMap((h) => {
    const members = spec.outputs.filter((o) => activationOf(o) === h)
    return members.length > 0 ? [{ activation: h, units: members }] : []
  })

  const places: Place[] = new Array<Place>(D + units.length + 1)
  for (let i = 1; i <= D; i++) places[i] = { group: 0, column: i - 1 }
  const members = [...hiddenGroups.map((g) => ({ ...g, output: false })), ...outputGroups.map((g) => ({ ...g, output: true }))]
  members.forEach((g, k) => g.units.forEach((u, column) => (places[u] = { group: k + 1, column })))
  const sizes = [D, ...members.map((g) => g.units.length)]

  const groups = members.map((g, k): UnitGroup => {
    const group = k + 1
    const edges = new Map<number, Set<number>>() // source group -> row * cols + col
    g.units.forEach((u, row) => {
      for (const e of units[u - D - 1]!.in) {
        const { group: s, column } = places[sourceOf(e)]!
        const set = edges.get(s) ?? new Set<number>()
        set.add(row * sizes[s]! + column)
        edges.set(s, set)
      }
    })
    const blocks = [...edges.entries()]
      .sort(([a], [b]) => a - b)
      .map(([source, set]): Block => {
        const [rows, cols] = [g.units.length, sizes[source]!]
        const full = set.size === rows * cols
        const name = `W${group}_${source}`
        return full
          ? { source, name, rows, cols }
          : { source, name, rows, cols, mask: Array.from({ length: rows * cols }, (_, at) => (set.has(at) ? 1 : 0)) }
      })
    return { group, units: g.units, activation: g.activation, output: g.output, blocks, bias: `b${group}` }
  })
  return { groups, places, paramNames: groups.flatMap((g) => [...g.blocks.map((b) => b.name), g.bias]) }
}
