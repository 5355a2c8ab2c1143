// Simplified derivatives: the symbolic derivative that grad appends, after the
// graph package's simplify, is the compact expression one would write by hand,
// is never larger than the unsimplified one, and has the same values.
import { ancestors, build, buildOrThrow, emptyGraph, type Graph, type NodeId, parse, simplify, toText } from '@backprop/graph'
import { referenceCases } from '@backprop/graph/testing/reference'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { grad, gradInto } from './grad.js'
import { evaluate64, pseudoRandom, uniform } from './testing/support.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** The parsed expression with dE/dv appended for each v of `vars` (as parse's scalar inputs). */
const derivatives = (text: string, vars: readonly string[]): { graph: Graph; gradients: NodeId[] } => {
  const { graph, output } = right(parse(text))
  const built = right(build(graph, (b) => gradInto(b, output, vars.map((v) => b.input(v)))))
  return { graph: built.graph, gradients: built.result }
}

describe('the lecture regression error E = 1/2 (w^T x - t)^2', () => {
  const D = 3
  const inputs = (b: Parameters<Parameters<typeof buildOrThrow>[1]>[0]) => ({
    w: b.param('w', [D, 1]),
    x: b.input('x', [D, 1]),
    t: b.input('t', [1, 1]),
  })
  const { graph, result } = buildOrThrow(emptyGraph, (b) => {
    const { w, x, t } = inputs(b)
    return { w, e: b.mul(b.scalar(0.5), b.square(b.sub(b.matmul(b.transpose(w), x), t))) }
  })
  const derived = right(grad(graph, result.e, [result.w]))
  const simplified = simplify(derived.graph, derived.gradients)

  it('has the gradient dE/dw = (w^T x - t) x, exactly that node after simplify', () => {
    // Built independently, in the simplifier's canonical form: the residual
    // r = w^T x - t is [1,1], so (w^T x - t) x is the product matmul(x, r),
    // and w^T of a column is the row reshape(w, [1, D]).
    const expected = buildOrThrow(simplified.graph, (b) => {
      const { w, x, t } = inputs(b)
      return b.matmul(x, b.sub(b.matmul(b.reshape(w, [1, D]), x), t))
    })
    expect(expected.graph).toBe(simplified.graph) // hash-consing found every node
    expect(expected.result).toBe(simplified.outputs[0])
  })

  it('computes (w^T x - t) x, simplified or not', () => {
    const random = pseudoRandom(7)
    const feeds = { w: uniform(random, [D, 1], -1, 1), x: uniform(random, [D, 1], -2, 2), t: uniform(random, [1, 1], -1, 1) }
    const w = Array.from(feeds.w.data)
    const x = Array.from(feeds.x.data)
    const r = w.reduce((s, wi, i) => s + wi * x[i]!, 0) - feeds.t.data[0]!
    const [raw] = evaluate64(derived.graph, derived.gradients, feeds)
    const [simple] = evaluate64(simplified.graph, simplified.outputs, feeds)
    x.forEach((xi, i) => {
      expect(raw![i]).toBeCloseTo(r * xi, 12)
      expect(simple![i]).toBeCloseTo(r * xi, 12)
    })
  })
})

describe('simplified scalar derivatives read as written by hand', () => {
  it.each([
    ['x*x + 3*x', 'x', '3 + 2*x'],
    ['sqrt(x^2+y^2)', 'x', 'x/sqrt(square(x) + square(y))'],
    ['x^2*sin(x)', 'x', '2*x*sin(x) + square(x)*cos(x)'],
    ['0.5*(w*x - t)^2', 'w', 'x*(w*x - t)'],
    ['0.5*(w*x - t)^2', 't', 't - w*x'],
    ['x/y', 'y', '-(x/square(y))'],
    ['exp(2*x)/exp(2*x)', 'x', '0'],
  ])('d/d%s of %s', (expr, v, text) => {
    const { graph, gradients } = derivatives(expr, [v])
    const s = simplify(graph, gradients)
    expect(toText(s.graph, s.outputs[0]!)).toBe(text)
  })
})

// ---- the reference cases of CONTRACT.md §3 ----

interface ScalarCase {
  readonly id: string
  readonly expr: string
  readonly vars: readonly string[]
  readonly points: readonly { readonly at: Readonly<Record<string, number>>; readonly gradient: Readonly<Record<string, number>> }[]
}

const scalarCases = referenceCases<ScalarCase>('scalar-expressions')

/** CONTRACT.md's tolerance. */
const close = (actual: number, expected: number): boolean =>
  Math.abs(actual - expected) <= 1e-9 * Math.abs(expected) + 1e-12

/** Values of `output` at a point, fed only the inputs it depends on. */
const valueAt = (graph: Graph, output: NodeId, at: Readonly<Record<string, number>>): number => {
  const feeds = Object.fromEntries(
    ancestors(graph, [output])
      .map((id) => graph.nodes[id]!)
      .filter((n) => n.op === 'input')
      .map((n) => [n.attrs.name!, { shape: [], data: [at[n.attrs.name!]!] }]),
  )
  return evaluate64(graph, [output], feeds)[0]![0]!
}

describe('simplified derivatives of the reference expressions', () => {
  it('cover the reference cases', () => {
    expect(scalarCases.length).toBeGreaterThan(0)
  })

  it.each(scalarCases.map((c) => [c.id, c] as const))('%s: no larger, and equal at the points', (_id, c) => {
    const { graph, gradients } = derivatives(c.expr, c.vars)
    c.vars.forEach((v, i) => {
      const g = gradients[i]!
      const s = simplify(graph, [g])
      // Nodes computing the derivative, the forward nodes it reuses included.
      expect(s.graph.nodes.length, `d/d${v}`).toBeLessThanOrEqual(ancestors(graph, [g]).length)
      for (const p of c.points) {
        const raw = valueAt(graph, g, p.at)
        const simple = valueAt(s.graph, s.outputs[0]!, p.at)
        expect(close(simple, raw), `d/d${v} at ${JSON.stringify(p.at)}: ${simple} vs ${raw}`).toBe(true)
        expect(close(simple, p.gradient[v]!), `d/d${v} at ${JSON.stringify(p.at)}: ${simple} vs ${p.gradient[v]}`).toBe(true)
      }
    })
  })
})
