import * as E from 'fp-ts/lib/Either.js'
import { cpuBackend } from '@backprop/backend-cpu'
import { grad } from '@backprop/diff'
import { buildOrThrow, type DType, emptyGraph, simplify } from '@backprop/graph'
import { layered, networkGradients } from '@backprop/nn'
import { sizes } from './mnist.js'
import { median } from './timing.js'

/** Milliseconds of each phase of preparing the MNIST training step, medians over runs. */
export interface PrepareTimes {
  readonly build: number
  readonly differentiate: number
  readonly compile: number
  readonly total: number
}

/**
 * Times building the network graph (`layered`), differentiating it
 * (`networkGradients`, plus the SGD update nodes) and compiling it with
 * in-place updates on the CPU backend.
 */
export const prepareTimes = (batch: number, dtype: DType, runs: number): PrepareTimes => {
  const phases: [number, number, number][] = []
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    const net = layered({ sizes, activations: ['relu', 'softmax'], loss: 'softmax-cross-entropy', reduction: 'mean', batch, dtype })
    if (E.isLeft(net)) throw new Error(net.left.message)
    const t1 = performance.now()
    const derived = networkGradients(net.right)
    if (E.isLeft(derived)) throw new Error(derived.left.message)
    const params = net.right.params.flatMap((p) => [p.W, p.b])
    const gradients = derived.right.gradients.flatMap((g) => [g.W, g.b])
    const { graph, result } = buildOrThrow(derived.right.graph, (b) => {
      const lr = b.input('lr', [], dtype)
      return params.map((p, i) => b.sub(p, b.mul(lr, gradients[i]!)))
    })
    const t2 = performance.now()
    const exe = cpuBackend().compile(graph, [net.right.loss], {
      updates: net.right.paramNames.map((param, i) => ({ param, value: result[i]! })),
    })
    if (E.isLeft(exe)) throw new Error(exe.left.message)
    const t3 = performance.now()
    phases.push([t1 - t0, t2 - t1, t3 - t2])
  }
  const [build, differentiate, compile] = [0, 1, 2].map((k) => median(phases.map((p) => p[k]!))) as [number, number, number]
  return { build, differentiate, compile, total: median(phases.map((p) => p[0] + p[1] + p[2])) }
}

/** Milliseconds to differentiate and to simplify a graph of `nodes` nodes, and the derivative graph's size. */
export interface ScaleTimes {
  readonly nodes: number
  readonly differentiate: number
  readonly simplify: number
  readonly total: number
  readonly gradientNodes: number
  readonly simplifiedNodes: number
}

/**
 * A deep scalar graph, `v <- sin(v) * w + v` repeated until it has `nodes`
 * nodes, differentiated with respect to `x` and `w` and then simplified:
 * the symbolic work of issue 2's benchmark, which should grow linearly.
 */
export const scaleTimes = (nodes: number): ScaleTimes => {
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [], 'f64')
    const w = b.param('w', [], 'f64')
    let v = x
    while (b.size < nodes) v = b.add(b.mul(b.sin(v), w), v)
    return { x, w, v }
  })
  const t0 = performance.now()
  const derived = grad(graph, result.v, [result.x, result.w])
  if (E.isLeft(derived)) throw new Error(derived.left.message)
  const t1 = performance.now()
  const simplified = simplify(derived.right.graph, derived.right.gradients)
  const t2 = performance.now()
  return {
    nodes: graph.nodes.length,
    differentiate: t1 - t0,
    simplify: t2 - t1,
    total: t2 - t0,
    gradientNodes: derived.right.graph.nodes.length,
    simplifiedNodes: simplified.graph.nodes.length,
  }
}
