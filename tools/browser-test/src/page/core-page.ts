/**
 * The page's script: the core packages (graph, diff, backend, backend-cpu)
 * used as a browser application would use them. Bundled for the browser
 * platform, so a Node built-in anywhere on this import graph fails the build.
 */
import { type Executable, type Feeds, type Tensor, tensor } from '@backprop/backend'
import { type CpuBackendOptions, cpuBackend, evaluate, statsOf } from '@backprop/backend-cpu'
import { gradInto, hessian } from '@backprop/diff'
import { buildOrThrow, emptyGraph, type Graph, type NodeId, orThrow, parse, simplify, toText } from '@backprop/graph'
import type { CompiledAs, CoreApi, Derivatives, MatmulInput, MatmulResult, Params, TrainInput, TrainResult } from './core-api.js'
import { expression } from './core-api.js'

const compile = (graph: Graph, outputs: readonly NodeId[], options: CpuBackendOptions = {}) =>
  orThrow(cpuBackend(options).compile(graph, outputs))

const compiledAs = (exe: Executable): CompiledAs => {
  const stats = statsOf(exe)
  if (stats === undefined) throw new Error('the CPU backend gave no statistics for its executable')
  return { target: stats.target, counts: { ...stats.counts }, moduleBytes: stats.moduleBytes, fma: stats.fma }
}

const inputNamed = (graph: Graph, name: string): NodeId => {
  const id = graph.nodes.findIndex((n) => n.op === 'input' && n.attrs.name === name)
  if (id < 0) throw new Error(`no input '${name}' in the parsed expression`)
  return id
}

const first = (t: Tensor): number => t.data[0]!

const derivatives = (at: { readonly x: number; readonly y: number }): Derivatives => {
  const parsed = orThrow(parse(expression))
  const wrt = [inputNamed(parsed.graph, 'x'), inputNamed(parsed.graph, 'y')]
  const derived = orThrow(hessian(parsed.graph, parsed.output, wrt))
  const { gradient, hessian: h } = derived.result
  const feeds: Feeds = { x: tensor([at.x], []), y: tensor([at.y], []) }
  const outputs = [parsed.output, ...gradient, ...h.flat()]
  const values = orThrow(compile(derived.graph, outputs).runSync(feeds)).map(first)
  // The printed derivative is itself an expression of the language: parse it back and evaluate it.
  const simple = simplify(derived.graph, gradient)
  const printed = simple.outputs.map((g) => {
    const text = toText(simple.graph, g)
    const again = orThrow(parse(text))
    return { text, value: first(orThrow(evaluate(again.graph, [again.output], feeds))[0]!) }
  })
  return { value: values[0]!, gradient: values.slice(1, 3), hessian: [values.slice(3, 5), values.slice(5, 7)], printed }
}

const matmul = ({ m, k, n, a, b }: MatmulInput): MatmulResult => {
  const { graph, result } = buildOrThrow(emptyGraph, (g) => {
    const B = g.input('B', [k, n], 'f32')
    const e = g.sum(g.tanh(g.matmul(g.input('A', [m, k], 'f32'), B)))
    return [e, ...gradInto(g, e, [B])]
  })
  const feeds: Feeds = { A: tensor(a, [m, k], 'f32'), B: tensor(b, [k, n], 'f32') }
  const on = (options: CpuBackendOptions) => {
    const exe = compile(graph, result, options)
    const [value, gradB] = orThrow(exe.runSync(feeds))
    return { value: first(value!), gradB: Array.from(gradB!.data), compiled: compiledAs(exe) }
  }
  return { auto: on({}), js: on({ simd: false }) }
}

const paramNames = ['W1', 'b1', 'W2', 'b2'] as const

const train = ({ x, t, hidden, init, lr, steps }: TrainInput): TrainResult => {
  const rows = x.length
  const inputs = x[0]!.length
  const { graph, result } = buildOrThrow(emptyGraph, (g) => {
    const W1 = g.param('W1', [inputs, hidden], 'f32')
    const b1 = g.param('b1', [hidden], 'f32')
    const W2 = g.param('W2', [hidden, 1], 'f32')
    const b2 = g.param('b2', [1], 'f32')
    const h = g.tanh(g.add(g.matmul(g.input('x', [rows, inputs], 'f32'), W1), b1))
    const z = g.add(g.matmul(h, W2), b2)
    // Binary cross-entropy of sigmoid(z) in its stable form: softplus(z) - t z.
    const target = g.input('t', [rows, 1], 'f32')
    const loss = g.mean(g.sub(g.softplus(z), g.mul(target, z)))
    return [loss, ...gradInto(g, loss, [W1, b1, W2, b2]), g.sigmoid(z)]
  })
  // simd: true runs even this small step on the WebAssembly kernels.
  const exe = compile(graph, result, { simd: true })
  const params: Record<string, Float32Array> = Object.fromEntries(paramNames.map((p) => [p, Float32Array.from(init[p])]))
  const shapes = { W1: [inputs, hidden], b1: [hidden], W2: [hidden, 1], b2: [1] }
  const data = { x: tensor(x.flat(), [rows, inputs], 'f32'), t: tensor(t, [rows, 1], 'f32') }
  const losses: number[] = []
  let firstGradients: Params | undefined
  let outputs: readonly number[] = []
  for (let step = 0; step <= steps; step++) {
    const feeds: Feeds = { ...data, ...Object.fromEntries(paramNames.map((p) => [p, tensor(params[p]!, shapes[p], 'f32')])) }
    const [loss, gW1, gb1, gW2, gb2, y] = orThrow(exe.runSync(feeds))
    losses.push(first(loss!))
    outputs = Array.from(y!.data)
    if (step === steps) break
    const grads = { W1: gW1!, b1: gb1!, W2: gW2!, b2: gb2! }
    firstGradients ??= { W1: Array.from(gW1!.data), b1: Array.from(gb1!.data), W2: Array.from(gW2!.data), b2: Array.from(gb2!.data) }
    // Plain SGD, written here: p <- p - lr dE/dp.
    for (const p of paramNames) {
      const value = params[p]!
      const g = grads[p].data
      for (let i = 0; i < value.length; i++) value[i] = value[i]! - lr * g[i]!
    }
  }
  if (firstGradients === undefined) throw new Error('train: steps must be at least 1')
  return { losses, firstGradients, outputs, compiled: compiledAs(exe) }
}

const api: CoreApi = { derivatives, matmul, train }
;(globalThis as unknown as { backpropCore: CoreApi }).backpropCore = api
