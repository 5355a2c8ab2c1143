import { type DType, type GraphError, graphError } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { type Activation, activationNames, type Loss, lossNames, type Reduction } from '../spec.js'

/**
 * One entry of a unit's `in` list: `[source, weight]`, or just the source
 * unit number when the weight is left out (it is then initialised from a
 * seed, see {@link feedForwardParams}).
 *
 * @category General networks
 */
export type Edge = readonly [source: number, weight: number] | number

/**
 * One unit i of a general feed-forward network:
 * `a_i = sum over [j, w_ij] in in of w_ij z_j + b_i` and `z_i = h_i(a_i)`.
 *
 * @category General networks
 */
export interface FeedForwardUnit {
  /** h_i; `softmax` only on output units, all of them at once (and at least 2). */
  readonly activation: Activation
  /** b_i; 0 when left out. */
  readonly bias?: number
  /** The unit's predecessors pre(i) (smaller unit numbers), each with its weight or without. */
  readonly in: readonly Edge[]
}

/**
 * The lecture's general feed-forward network, in the format of the
 * reference kind `feedforward-networks`: inputs are units `1..D`,
 * `units[j]` is unit `D + 1 + j`, every source of a unit is a smaller unit
 * number (so connections may skip over units), and `outputs` lists the unit
 * numbers whose values are y, in the order of the columns of the targets.
 *
 * @example
 * ```ts
 * const spec: FeedForwardSpec = {
 *   inputs: 2,
 *   units: [
 *     { activation: 'tanh', in: [1, 2] },             // unit 3
 *     { activation: 'linear', in: [[1, 0.2], [3, 0.7]], bias: -0.2 }, // unit 4, skips from input 1
 *   ],
 *   outputs: [4],
 *   loss: 'sse',
 * }
 * ```
 * @category General networks
 */
export interface FeedForwardSpec {
  /** D, the number of inputs (units 1..D). */
  readonly inputs: number
  /** The units in topological order; `units[j]` is unit D + 1 + j. */
  readonly units: readonly FeedForwardUnit[]
  /** The output unit numbers, in the order of the columns of y and t. */
  readonly outputs: readonly number[]
  /** The loss of y and t, summed over samples and outputs. */
  readonly loss: Loss
}

/**
 * What a graph of a general network is built for: a spec plus the batch
 * size, how samples combine and the element type.
 *
 * @category General networks
 */
export interface FeedForwardBuild extends FeedForwardSpec {
  /** Number of samples M, part of the graph's static shapes. */
  readonly batch: number
  /** `sum` (default, the lecture's E) or `mean` over samples. */
  readonly reduction?: Reduction
  /** Element type of inputs and parameters; `f64` by default. */
  readonly dtype?: DType
}

/** The source unit number of an edge. @internal */
export const sourceOf = (edge: Edge): number => (typeof edge === 'number' ? edge : edge[0])

/** The weight of an edge, or undefined when it is left out. @internal */
export const weightOf = (edge: Edge): number | undefined => (typeof edge === 'number' ? undefined : edge[1])

/** The unit number of `units[j]`. @internal */
export const unitNumber = (spec: Pick<FeedForwardSpec, 'inputs'>, j: number): number => spec.inputs + 1 + j

const isPositiveInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The first unit reached from `from` by following `in` edges backwards that
 * is `target`, i.e. whether `target` feeds `from`, directly or not. Edges to
 * unit numbers out of range are ignored (they are reported on their own).
 */
const feeds = (units: readonly unknown[], inputs: number, from: number, target: number): boolean => {
  const seen = new Set<number>()
  const stack = [from]
  while (stack.length > 0) {
    const u = stack.pop()!
    if (u === target) return true
    if (seen.has(u) || u <= inputs || u > inputs + units.length) continue
    seen.add(u)
    const unit = units[u - inputs - 1]
    const edges = isRecord(unit) && Array.isArray(unit['in']) ? unit['in'] : []
    for (const e of edges) {
      const s = typeof e === 'number' ? e : Array.isArray(e) ? e[0] : undefined
      if (typeof s === 'number' && Number.isInteger(s)) stack.push(s)
    }
  }
  return false
}

/** The first thing wrong with one edge of unit `i` (`units[j].in[k]`), or undefined. */
const edgeProblem = (
  units: readonly unknown[],
  inputs: number,
  i: number,
  edge: unknown,
): string | undefined => {
  const weighted = Array.isArray(edge)
  if (weighted && (edge.length !== 2 || typeof edge[1] !== 'number' || !Number.isFinite(edge[1]))) {
    return `an entry of "in" is ${JSON.stringify(edge)}; expected a source unit number or [source, weight] with a finite weight`
  }
  const s: unknown = weighted ? edge[0] : edge
  if (!isPositiveInt(s)) {
    return `an entry of "in" names source ${JSON.stringify(s)}; sources are unit numbers from 1 (inputs are 1..${inputs})`
  }
  const last = inputs + units.length
  if (s === i) return `unit ${i} takes its own output as input (a cycle)`
  if (s > last) return `unit ${i} takes input from unit ${s}, but the network has units 1..${last} (${inputs} inputs, ${units.length} units)`
  if (s > i) {
    return feeds(units, inputs, s, i)
      ? `unit ${i} takes input from unit ${s}, which depends on unit ${i} (a cycle)`
      : `unit ${i} takes input from unit ${s}, a later unit; units must be listed in topological order, sources first`
  }
  return undefined
}

/** The first thing wrong with a spec, as [path, message], or undefined. */
const problem = (spec: unknown): [string, string] | undefined => {
  if (!isRecord(spec)) return ['', 'a network spec must be a JSON object with inputs, units, outputs and loss']
  const { inputs, units, outputs, loss } = spec
  if (!isPositiveInt(inputs)) return ['inputs', `inputs is ${JSON.stringify(inputs)}; it must be a positive integer`]
  if (!Array.isArray(units) || units.length === 0) return ['units', 'units must be a non-empty array of units']
  for (let j = 0; j < units.length; j++) {
    const i = inputs + 1 + j
    const at = `units[${j}]`
    const unit: unknown = units[j]
    if (!isRecord(unit)) return [at, `unit ${i} (${at}) must be an object with activation, in and optionally bias`]
    if (!activationNames.includes(unit['activation'] as Activation)) {
      return [
        `${at}.activation`,
        `unit ${i}: unknown activation ${JSON.stringify(unit['activation'])}; expected one of ${activationNames.join(', ')}`,
      ]
    }
    const bias = unit['bias']
    if (bias !== undefined && (typeof bias !== 'number' || !Number.isFinite(bias))) {
      return [`${at}.bias`, `unit ${i}: bias is ${JSON.stringify(bias)}; it must be a finite number`]
    }
    const edges = unit['in']
    if (!Array.isArray(edges)) return [`${at}.in`, `unit ${i}: "in" must be an array of sources or [source, weight] pairs`]
    const seen = new Set<number>()
    for (let k = 0; k < edges.length; k++) {
      const message = edgeProblem(units, inputs, i, edges[k])
      if (message) return [`${at}.in[${k}]`, message.startsWith('unit ') ? message : `unit ${i}: ${message}`]
      const s = sourceOf(edges[k] as Edge)
      if (seen.has(s)) return [`${at}.in[${k}]`, `unit ${i} lists source ${s} twice`]
      seen.add(s)
    }
  }
  const last = inputs + units.length
  if (!Array.isArray(outputs) || outputs.length === 0) return ['outputs', 'outputs must be a non-empty array of unit numbers']
  const outs = new Set<number>()
  for (let k = 0; k < outputs.length; k++) {
    const o: unknown = outputs[k]
    if (!isPositiveInt(o) || o <= inputs || o > last) {
      return [`outputs[${k}]`, `output ${JSON.stringify(o)} is not a unit; outputs are unit numbers ${inputs + 1}..${last}`]
    }
    if (outs.has(o)) return [`outputs[${k}]`, `unit ${o} is listed twice in outputs`]
    outs.add(o)
  }
  for (let j = 0; j < units.length; j++) {
    const consumer = (units[j] as { in: Edge[] }).in.map(sourceOf).find((s) => outs.has(s))
    if (consumer !== undefined) {
      return [`units[${j}].in`, `unit ${consumer} is an output but feeds unit ${inputs + 1 + j}; output units feed no other unit`]
    }
  }
  const activationOf = (u: number): Activation => (units[u - inputs - 1] as { activation: Activation }).activation
  const hiddenSoftmax = units.findIndex((u, j) => (u as FeedForwardUnit).activation === 'softmax' && !outs.has(inputs + 1 + j))
  if (hiddenSoftmax >= 0) {
    return [
      `units[${hiddenSoftmax}].activation`,
      `unit ${inputs + 1 + hiddenSoftmax} is softmax but not an output; softmax is for the output units only, all of them at once`,
    ]
  }
  const softmaxOutputs = (outputs as number[]).filter((o) => activationOf(o) === 'softmax')
  if (softmaxOutputs.length > 0 && softmaxOutputs.length < outputs.length) {
    const other = (outputs as number[]).find((o) => activationOf(o) !== 'softmax')!
    return [
      `units[${other - inputs - 1}].activation`,
      `unit ${other} is an output with activation ${activationOf(other)} while unit ${softmaxOutputs[0]} is softmax; softmax applies to all outputs at once`,
    ]
  }
  if (softmaxOutputs.length === 1) {
    const j = softmaxOutputs[0]! - inputs - 1
    return [`units[${j}].activation`, `unit ${softmaxOutputs[0]} is a softmax output on its own; a softmax needs at least 2 outputs`]
  }
  if (!lossNames.includes(loss as Loss)) {
    return ['loss', `unknown loss ${JSON.stringify(loss)}; expected one of ${lossNames.join(', ')}`]
  }
  return undefined
}

/**
 * Checks a general network spec, typically just read from JSON, and returns
 * it typed, or the first problem as one line naming the unit and the field
 * (`_tag: 'InvalidGraph'`, `path` like `units[2].in[0]`): an edge from the
 * unit itself, from a later unit or around a cycle, an unknown activation,
 * softmax on a hidden unit or on some outputs only, an output unit feeding
 * another unit, an unknown loss. Extra fields (`x`, `t`, `expected`, `id`)
 * are ignored.
 *
 * @example
 * ```ts
 * validateFeedForward({ inputs: 1, units: [{ activation: 'tanh', in: [3] }, { activation: 'linear', in: [2] }],
 *   outputs: [3], loss: 'sse' })
 * // Left: "net: unit 2 takes input from unit 3, which depends on unit 2 (a cycle)"
 * ```
 * @category General networks
 */
export const validateFeedForward = (spec: unknown): E.Either<GraphError, FeedForwardSpec> => {
  const found = problem(spec)
  if (found) return E.left(graphError('InvalidGraph', { path: found[0], message: `net: ${found[1]}` }))
  const { inputs, units, outputs, loss } = spec as FeedForwardSpec
  return E.right({ inputs, units, outputs, loss })
}

/**
 * Checks the build options of {@link FeedForwardBuild} (batch, reduction,
 * dtype) besides the spec.
 * @internal
 */
export const buildProblem = (spec: FeedForwardBuild): GraphError | undefined => {
  const fail = (path: string, message: string) => graphError('InvalidGraph', { path, message: `net: ${message}` })
  if (!isPositiveInt(spec.batch)) return fail('batch', `batch is ${String(spec.batch)}; it must be a positive integer`)
  if (spec.reduction !== undefined && spec.reduction !== 'sum' && spec.reduction !== 'mean') {
    return fail('reduction', `unknown reduction '${String(spec.reduction)}'; expected sum or mean`)
  }
  if (spec.dtype !== undefined && spec.dtype !== 'f32' && spec.dtype !== 'f64') {
    return fail('dtype', `unknown dtype '${String(spec.dtype)}'; expected f32 or f64`)
  }
  return undefined
}
