// The dashboard's network view: a run's network at its current parameters
// on one test sample, every forward node labelled with its value and its
// adjoint dE/dv (the numbers `graph --at` writes on an expression, from the
// same nodeNumbers).
//
// What a student wants to see decides how much is written on a node. The
// graph is drawn at the level of tensors (x, W1, a1, z1, ..., E), never a
// vertex per unit: a 784-128-10 network stays a few dozen vertices. A small
// tensor (iris's W1 is 8x4) is written out entry by entry, a row per line,
// so every delta of the lecture can be checked by hand: the adjoint of a_l
// IS delta_l, and the adjoint of W_l is delta_l^T z_{l-1}. A large one
// (MNIST's 784 inputs, its 128x784 W1) gets its norm and range instead: there
// what tells something is the size of the deltas layer by layer (do they
// vanish?) and the sign and scale of the gradient, not 100,000 numbers.
import { type Tensor, tensor } from '@backprop/backend'
import type { NetworkNode, NetworkView, NumberSummary, RunSettings } from '@backprop/dashboard'
import { ancestors, toDot } from '@backprop/graph'
import { layered, type Loss, type Network } from '@backprop/nn'
import type { Params } from '@backprop/trainer'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { nodeNumbers } from './node-numbers.js'
import { renderSvg } from './svg.js'
import { activationsFor, loadDataset, type TrainSettings } from './training.js'

/** A tensor of at most this many entries is written out whole; a larger one in short. */
const wholeUpTo = 64

/** How many leading entries a summary of a large tensor keeps. */
const leading = 8

/** The layered network of a run's settings, built for one sample. */
export const networkOfOne = (s: TrainSettings): E.Either<string, Network> => {
  const sizes = s.layers ?? []
  return pipe(
    layered({ sizes, activations: activationsFor(sizes, s), loss: s.loss as Loss, reduction: s.reduction, batch: 1, dtype: s.dtype }),
    E.mapLeft((e) => e.message),
  )
}

/** Norm and range in one pass (a spread of MNIST's 100,352 weights into Math.hypot would overflow the stack). */
const spread = (data: ArrayLike<number>): { norm: number; min: number; max: number } => {
  let squares = 0
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    squares += v * v
    min = Math.min(min, v)
    max = Math.max(max, v)
  }
  return { norm: Math.sqrt(squares), min, max }
}

const summary = (t: Tensor): NumberSummary => ({
  size: t.data.length,
  ...spread(t.data),
  values: Array.from(t.data.length <= wholeUpTo ? t.data : t.data.subarray(0, leading)),
})

/** A number in 4 significant digits, as short as it prints. */
const short = (v: number): string => String(Number(v.toPrecision(4)))

/** The lines written on a node for one of its tensors: whole (a row per line) when small, else norm and range. */
const lines = (lead: string, t: Tensor): string[] => {
  const { data } = t
  if (data.length === 1) return [`${lead} ${short(data[0]!)}`]
  if (data.length > wholeUpTo) {
    const { norm, min, max } = spread(data)
    return [`${lead} ‖·‖ ${short(norm)}, in [${short(min)}, ${short(max)}]`]
  }
  const width = t.shape[t.shape.length - 1]!
  const rows = Array.from({ length: data.length / width }, (_, r) => Array.from(data.subarray(r * width, (r + 1) * width), short).join(', '))
  return rows.map((row, r) => `${r === 0 ? lead : ' '.repeat(lead.length)} [${row}]`)
}

/** The names a student knows the nodes by: the inputs and parameters by their own names, a_l, z_l, y and E. */
const namesOf = (net: Network): Map<number, string> => {
  const names = new Map<number, string>()
  net.preActivations.forEach((id, l) => names.set(id, `a${l + 1}`))
  net.activations.forEach((id, l) => names.set(id, `z${l + 1}`))
  names.set(net.outputs, 'y')
  names.set(net.loss, 'E')
  return names
}

/**
 * A run's network (`settings`) at `params` on test sample `sample`: the
 * forward graph drawn with every node's value and adjoint dE/dv, and the
 * same numbers as data. A position outside the test set, or parameters that
 * do not fit the network, give one line saying so.
 */
export const networkAt = async (settings: RunSettings, params: Params, sample: number): Promise<E.Either<string, NetworkView>> => {
  const s = settings as TrainSettings
  const prepared = pipe(
    E.Do,
    E.bind('net', () => networkOfOne(s)),
    E.bind('split', () => loadDataset(s)),
    E.tap(({ split }) =>
      sample < split.test.size ? E.right(undefined) : E.left(`the test set has ${split.test.size} samples: choose one from 0 to ${split.test.size - 1}`),
    ),
  )
  if (E.isLeft(prepared)) return prepared
  const { net, split } = prepared.right
  const { test } = split
  const row = (values: Float64Array, width: number) => tensor(values.subarray(sample * width, (sample + 1) * width), [1, width], s.dtype)
  const feeds: Record<string, Tensor> = { ...params, x: row(test.x, test.features), t: row(test.t, test.targets) }
  // y too: with softmax or logsig and cross-entropy, E is computed from a_L in its stable form, beside y, not from it.
  const drawn = ancestors(net.graph, [net.loss, net.outputs])
  const numbers = nodeNumbers(net.graph, net.loss, drawn, feeds)
  if (E.isLeft(numbers)) return E.left(numbers.left.message)
  const { values, adjoints } = numbers.right
  const names = namesOf(net)
  const nameOf = (id: number): string | null => names.get(id) ?? net.graph.nodes[id]!.attrs.name ?? null
  const notes = new Map(
    drawn.map((id) => {
      const adjoint = adjoints.get(id)
      return [id, [...lines('=', values.get(id)!), ...(adjoint === undefined ? [] : lines('∂E/∂v =', adjoint))]] as const
    }),
  )
  const dot = toDot(net.graph, [net.loss, net.outputs], {
    isForward: () => true,
    labels: new Map(drawn.flatMap((id) => (names.has(id) ? [[id, names.get(id)!] as const] : []))),
    notes,
    rankdir: 'LR',
    title: `test sample ${sample}: values and adjoints ∂E/∂v`,
  })
  const nodes: NetworkNode[] = drawn.map((id) => {
    const node = net.graph.nodes[id]!
    const adjoint = adjoints.get(id)
    return { id, name: nameOf(id), op: node.op, shape: node.shape, value: summary(values.get(id)!), adjoint: adjoint === undefined ? null : summary(adjoint) }
  })
  return E.right({
    sample,
    target: Array.from(feeds['t']!.data),
    output: Array.from(values.get(net.outputs)!.data),
    loss: values.get(net.loss)!.data[0]!,
    svg: await renderSvg(dot),
    nodes,
  })
}
