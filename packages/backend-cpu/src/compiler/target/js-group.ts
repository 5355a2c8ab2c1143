import { ops } from '@backprop/graph'
import type { ElementwiseOp, Group } from '../lower/ir.js'
import { type Arena, baseOf } from './arena.js'

/** A number as JavaScript source that reads back as exactly that number (including -0 and NaN). */
const literal = (x: number): string => (Object.is(x, -0) ? '-0' : String(x))

/**
 * The expression computing `op` of operands `a`, `b`, `c` (JavaScript
 * source). Simple ops are written out; the others call the op table's own
 * scalar function (`fn.<op>`), so conventions cannot drift. Results that
 * float32 cannot hold exactly are rounded with `fr` in float32 groups,
 * exactly as storing each op's result would.
 */
const expression = (op: ElementwiseOp, [a, b, c]: readonly string[], f32: boolean): string => {
  const round = (e: string): string => (f32 ? `fr(${e})` : e)
  switch (op) {
    case 'neg':
      return `-${a}`
    case 'abs':
      return `Math.abs(${a})`
    case 'relu':
      return `(${a} > 0 ? ${a} : 0)`
    case 'square':
      return round(`${a} * ${a}`)
    case 'add':
      return round(`${a} + ${b}`)
    case 'sub':
      return round(`${a} - ${b}`)
    case 'mul':
      return round(`${a} * ${b}`)
    case 'div':
      return round(`${a} / ${b}`)
    case 'max':
      return `(${a} >= ${b} ? ${a} : ${b})`
    case 'min':
      return `(${a} <= ${b} ? ${a} : ${b})`
    case 'mulNoNan':
      return `(${a} === 0 ? 0 : ${round(`${a} * ${b}`)})`
    case 'greater':
      return `(${a} > ${b} ? 1 : 0)`
    case 'greaterEqual':
      return `(${a} >= ${b} ? 1 : 0)`
    case 'equal':
      return `(${a} === ${b} ? 1 : 0)`
    case 'where':
      return `(${a} !== 0 ? ${b} : ${c})`
    default:
      return round(`fn.${op}(${[a, b, c].filter((x) => x !== undefined).join(', ')})`)
  }
}

/** The scalar functions of the op table, handed to generated code. */
const scalarFns = Object.fromEntries(
  Object.entries(ops)
    .filter(([, def]) => def.fn !== undefined)
    .map(([name, def]) => [name, def.fn!]),
)

/**
 * JavaScript source of a fused group's loop over rows `r0..r1`: every
 * intermediate is a local, and only the root is stored. Used for the
 * plain-JavaScript path and for groups with ops that have no WebAssembly
 * kernel (`exp`, `log`, `sin`, ...).
 *
 * @internal
 */
export const groupSource = (group: Group, arena: Arena): string => {
  const f32 = group.dtype === 'f32'
  const A = f32 ? 'F' : 'D'
  const lines: string[] = []
  const perRow: string[] = []
  const leafValue = group.leaves.map((leaf, i) => {
    if (leaf.constant !== undefined) return literal(f32 ? Math.fround(leaf.constant) : leaf.constant)
    const base = baseOf(arena, leaf.storage, group.dtype) + leaf.offset
    const start = leaf.rowStride === 0 ? `${base}` : `${base} + r * ${leaf.rowStride}`
    if (leaf.colStride === 0) {
      perRow.push(`const s${i} = ${A}[${start}];`)
      return `s${i}`
    }
    perRow.push(`const b${i} = ${start};`)
    return `${A}[b${i} + c]`
  })
  const body: string[] = []
  group.exprs.forEach((e, i) => {
    const value = e.kind === 'leaf' ? leafValue[e.leaf]! : expression(e.op, e.args.map((a) => `e${a}`), f32)
    body.push(`const e${i} = ${value};`)
  })
  const out = baseOf(arena, group.out, group.dtype)
  const result = `e${group.exprs.length - 1}`
  // A summed group adds its results up in a float64 local, stored (rounded) once at the end.
  lines.push(
    'return function (r0, r1) {',
    ...(group.sum ? ['  let acc = 0;'] : []),
    '  for (let r = r0; r < r1; r++) {',
    ...(group.sum ? [] : [`    const o = ${out} + r * ${group.cols};`]),
    ...perRow.map((l) => `    ${l}`),
    `    for (let c = 0; c < ${group.cols}; c++) {`,
    ...body.map((l) => `      ${l}`),
    group.sum ? `      acc += ${result};` : `      ${A}[o + c] = ${result};`,
    '    }',
    '  }',
    ...(group.sum ? [`  ${A}[${out}] = acc;`] : []),
    '}',
  )
  return lines.join('\n')
}

/**
 * Compiles a fused group to a JavaScript function over rows `(r0, r1)` of
 * its layout, reading and writing the arena's views.
 *
 * @internal
 */
export const jsGroup = (group: Group, arena: Arena): ((r0: number, r1: number) => void) => {
  // The generated source contains only numbers and fixed identifiers.
  const make = new Function('F', 'D', 'fr', 'fn', groupSource(group, arena)) as (
    f: Float32Array,
    d: Float64Array,
    fr: (x: number) => number,
    fn: typeof scalarFns,
  ) => (r0: number, r1: number) => void
  return make(arena.f32, arena.f64, Math.fround, scalarFns)
}
