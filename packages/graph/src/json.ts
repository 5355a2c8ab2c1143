import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { build, type Builder } from './builder.js'
import { fail, GraphFailure, graphError, type GraphError } from './errors.js'
import { type Attrs, emptyGraph, type Graph, type NodeId } from './graph.js'
import { isOpName, type OpName, ops } from './ops.js'
import { type DType, sameShape, showShape } from './shape.js'

/**
 * A number in graph JSON. JSON has no NaN, infinities or negative zero, so
 * those constants are written as the strings `"NaN"`, `"Infinity"`,
 * `"-Infinity"` and `"-0"`.
 *
 * @category JSON
 */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0'

/**
 * One node in graph JSON: its id (its index), op, operand ids, dtype and
 * shape, and the attributes its op has, as fields of their own.
 *
 * @category JSON
 */
export interface GraphJsonNode {
  /** The node's index in `nodes`. */
  readonly id: number
  /** The op. */
  readonly op: OpName
  /** Ids of the operands, each smaller than `id`. */
  readonly inputs: readonly number[]
  /** Element type. */
  readonly dtype: DType
  /** Shape; for `input`, `param`, `const`, `reshape` and `broadcast` also the shape attribute. */
  readonly shape: readonly number[]
  /** `input`, `param`: the name. */
  readonly name?: string
  /** `const`: the value of every element. */
  readonly value?: JsonNumber
  /** `const`: row-major values. */
  readonly values?: readonly JsonNumber[]
  /** `sum`, `reduceMax`: reduced axes. */
  readonly axes?: readonly number[]
  /** `sum`, `reduceMax`, `logSumExp`: reduced axes are kept with extent 1. */
  readonly keepdims?: boolean
  /** `softmax`, `logSoftmax`, `logSumExp`: the axis. */
  readonly axis?: number
  /** `transpose`: the axis permutation. */
  readonly perm?: readonly number[]
}

/**
 * A graph as a plain JSON value (see {@link toJson}).
 *
 * @category JSON
 */
export interface GraphJson {
  /** Always `'backprop-graph'`. */
  readonly format: 'backprop-graph'
  /** Always 1. */
  readonly version: 1
  /** Every node of the graph, in id order. */
  readonly nodes: readonly GraphJsonNode[]
  /** The ids of the nodes the graph is meant to compute. */
  readonly outputs: readonly number[]
}

type AttrField = 'name' | 'value' | 'values' | 'axes' | 'keepdims' | 'axis' | 'perm' | 'start' | 'end'
const none: readonly AttrField[] = []
/** The attribute fields each op has (besides `shape`, which mirrors the node's shape). */
const attrFields: { readonly [K in OpName]: readonly AttrField[] } = {
  ...(Object.fromEntries(Object.keys(ops).map((op) => [op, none])) as Record<OpName, readonly AttrField[]>),
  input: ['name'],
  param: ['name'],
  const: ['value', 'values'],
  sum: ['axes', 'keepdims'],
  reduceMax: ['axes', 'keepdims'],
  softmax: ['axis'],
  logSoftmax: ['axis'],
  logSumExp: ['axis', 'keepdims'],
  transpose: ['perm'],
  slice: ['axis', 'start', 'end'],
  index: ['axis', 'start'],
  concat: ['axis'],
}
/** Ops whose `shape` attribute is the node's shape. */
const shapeAttr: ReadonlySet<OpName> = new Set(['input', 'param', 'const', 'reshape', 'broadcast'])
const nodeFields = new Set(['id', 'op', 'inputs', 'dtype', 'shape'])

const encodeNumber = (v: number): JsonNumber =>
  Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v
const specialNumbers: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 }

/**
 * The graph as a plain value ready for `JSON.stringify`: every node in id
 * order (pruning is the caller's choice) and the `outputs` (by default the
 * nodes no other node uses). Only the attributes each op has are written.
 *
 * @example
 * ```ts
 * JSON.stringify(toJson(graph, [loss]))
 * // {"format":"backprop-graph","version":1,"nodes":[{"id":0,"op":"input","inputs":[],"dtype":"f64","shape":[],"name":"x"},...],"outputs":[5]}
 * ```
 * @category JSON
 */
export const toJson = (graph: Graph, outputs?: readonly NodeId[]): GraphJson => {
  const used = new Set(graph.nodes.flatMap((n) => n.inputs))
  const nodes = graph.nodes.map((n, id): GraphJsonNode => {
    const out: Record<string, unknown> = { id, op: n.op, inputs: [...n.inputs], dtype: n.dtype, shape: [...n.shape] }
    for (const field of attrFields[n.op]) {
      const v = n.attrs[field]
      if (v === undefined) continue
      out[field] =
        field === 'value'
          ? encodeNumber(v as number)
          : field === 'values'
            ? (v as readonly number[]).map(encodeNumber)
            : Array.isArray(v)
              ? [...v]
              : v
    }
    return out as unknown as GraphJsonNode
  })
  return {
    format: 'backprop-graph',
    version: 1,
    nodes,
    outputs: outputs ? [...outputs] : graph.nodes.map((_, id) => id).filter((id) => !used.has(id)),
  }
}

// ---- reading ----------------------------------------------------------------

const invalid = (path: string, message: string): never =>
  fail(graphError('InvalidGraph', { path, message: path === '' ? message : `${path}: ${message}` }))

const show = (v: unknown): string => {
  let s: string
  try {
    s = JSON.stringify(v) ?? String(v)
  } catch {
    s = `a ${typeof v} that is not JSON` // e.g. a cyclic object handed over unparsed
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

/** Fails with "expected ..., got ..." (or "missing") for a field that is not what it should be. */
const expected = (path: string, what: string, v: unknown): never =>
  invalid(path, v === undefined ? `missing; expected ${what}` : `expected ${what}, got ${show(v)}`)

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0

const arrayAt = (path: string, v: unknown, what: string): unknown[] =>
  Array.isArray(v) ? v : expected(path, what, v)

const integers = (path: string, v: unknown, min: number): number[] =>
  arrayAt(path, v, 'an array of integers').map((x, i) =>
    Number.isInteger(x) && (x as number) >= min
      ? (x as number)
      : expected(`${path}[${i}]`, min === 0 ? 'a non-negative integer' : 'an integer', x),
  )

const decodeNumber = (path: string, v: unknown): number =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && Object.hasOwn(specialNumbers, v)
      ? specialNumbers[v]!
      : expected(path, 'a number or one of "NaN", "Infinity", "-Infinity", "-0"', v)

/** Reads one attribute field, checking its type. */
const readAttr = (path: string, field: AttrField, v: unknown): Attrs => {
  switch (field) {
    case 'name':
      return typeof v === 'string' && v.length > 0 ? { name: v } : expected(path, 'a non-empty string', v)
    case 'value':
      return { value: decodeNumber(path, v) }
    case 'values':
      return { values: arrayAt(path, v, 'an array of numbers').map((x, i) => decodeNumber(`${path}[${i}]`, x)) }
    case 'axes':
      return { axes: integers(path, v, -Infinity) }
    case 'perm':
      return { perm: integers(path, v, 0) }
    case 'axis':
      return Number.isInteger(v) ? { axis: v as number } : expected(path, 'an integer', v)
    case 'keepdims':
      return typeof v === 'boolean' ? { keepdims: v } : expected(path, 'true or false', v)
    case 'start':
    case 'end':
      return Number.isInteger(v) ? { [field]: v as number } : expected(path, 'an integer', v)
  }
}

/** Validates node `i` and adds it through the builder; returns its id in the new graph. */
const readNode = (b: Builder, raw: unknown, i: number, ids: readonly NodeId[]): NodeId => {
  const at = `nodes[${i}]`
  if (!isRecord(raw)) return expected(at, 'an object', raw)
  if (raw.id !== i) expected(`${at}.id`, `${i} (the node's index)`, raw.id)
  const op = raw.op
  if (typeof op !== 'string' || !isOpName(op)) return expected(`${at}.op`, 'an op name', op)
  const inputs = arrayAt(`${at}.inputs`, raw.inputs, 'an array of node ids').map((j, k) => {
    if (!isCount(j)) return expected(`${at}.inputs[${k}]`, 'a node id', j)
    if (j >= i) invalid(`${at}.inputs[${k}]`, `refers to node ${j}, which does not come before node ${i}`)
    return j
  })
  const arity = ops[op].arity
  if (inputs.length !== arity) invalid(`${at}.inputs`, `${op} takes ${arity} input(s), got ${inputs.length}`)
  const dtype = raw.dtype
  if (dtype !== 'f32' && dtype !== 'f64') return expected(`${at}.dtype`, '"f32" or "f64"', dtype)
  const shape = integers(`${at}.shape`, raw.shape, 0)
  let attrs: Attrs = shapeAttr.has(op) ? { shape } : {}
  for (const [key, v] of Object.entries(raw)) {
    if (nodeFields.has(key) || v === undefined) continue // JSON has no undefined: an unset field
    if (!(attrFields[op] as readonly string[]).includes(key)) invalid(`${at}.${key}`, `${op} has no attribute '${key}'`)
    attrs = { ...attrs, ...readAttr(`${at}.${key}`, key as AttrField, v) }
  }
  let id: NodeId
  try {
    id = b.apply(op, inputs.map((j) => ids[j]!), attrs, dtype)
  } catch (e) {
    if (e instanceof GraphFailure) return invalid(at, e.error.message)
    throw e
  }
  const built = b.node(id)
  if (built.dtype !== dtype) invalid(`${at}.dtype`, `declared ${dtype}, but ${op} gives ${built.dtype}`)
  if (!sameShape(built.shape, shape)) {
    invalid(`${at}.shape`, `declared ${showShape(shape)}, but ${op} gives ${showShape(built.shape)}`)
  }
  return id
}

const readGraph = (b: Builder, doc: unknown): NodeId[] => {
  if (!isRecord(doc)) return expected('', 'a graph object', doc)
  if (doc.format !== 'backprop-graph') expected('format', '"backprop-graph"', doc.format)
  if (doc.version !== 1) expected('version', '1', doc.version)
  const raw = arrayAt('nodes', doc.nodes, 'an array of nodes')
  // ids maps a JSON id to the id in the new graph; they differ after a duplicate node.
  const ids: NodeId[] = []
  raw.forEach((n, i) => ids.push(readNode(b, n, i, ids)))
  return arrayAt('outputs', doc.outputs, 'an array of node ids').map((o, k) => {
    if (!isCount(o)) return expected(`outputs[${k}]`, 'a node id', o)
    if (o >= raw.length) invalid(`outputs[${k}]`, `refers to node ${o}, but there are ${raw.length} nodes`)
    return ids[o]!
  })
}

/** JSON.parse's message, with the line and column added when it names a position. */
const jsonProblem = (text: string, e: Error): string => {
  const position = /at position (\d+)/.exec(e.message)
  if (position === null) return e.message
  const before = text.slice(0, Number(position[1]))
  const line = before.split('\n').length
  return `${e.message} (line ${line}, column ${before.length - before.lastIndexOf('\n')})`
}

/**
 * Reads a graph written by {@link toJson}, given as a parsed value or as
 * JSON text, and checks all of it: the format and version, every node's
 * fields and their types (ops known, operands earlier nodes, dtype `f32` or
 * `f64`, shapes of non-negative integers, only the attributes the op has),
 * that each node's declared shape and dtype are what its op gives, and the
 * outputs. Any problem is an `InvalidGraph` error whose `path` (e.g.
 * `nodes[3].inputs[1]`, or `''` for the document as a whole) says where. The graph is rebuilt through the
 * builder, so a node listed twice becomes one node and later ids shift
 * accordingly; `outputs` are returned in the new ids. Fields at the top
 * level other than those of {@link GraphJson} are ignored.
 *
 * @example
 * ```ts
 * fromJson(JSON.stringify(toJson(graph, [out]))) // Right({ graph, outputs: [out] })
 * fromJson('{"format":"backprop-graph","version":1,"nodes":[{"id":0,"op":"neg","inputs":[0],"dtype":"f64","shape":[]}],"outputs":[0]}')
 * // Left({ _tag: 'InvalidGraph', path: 'nodes[0].inputs[0]',
 * //        message: 'nodes[0].inputs[0]: refers to node 0, which does not come before node 0' })
 * ```
 * @category JSON
 */
export const fromJson = (input: unknown): E.Either<GraphError, { graph: Graph; outputs: NodeId[] }> => {
  let doc = input
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input)
    } catch (e) {
      return E.left(graphError('InvalidGraph', { path: '', message: `invalid JSON: ${jsonProblem(input, e as Error)}` }))
    }
  }
  return pipe(
    build(emptyGraph, (b) => readGraph(b, doc)),
    E.map(({ graph, result }) => ({ graph, outputs: result })),
  )
}
