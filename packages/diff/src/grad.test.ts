import { buildOrThrow, emptyGraph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { withRules } from './custom.js'
import { grad } from './grad.js'
import { hessian, hvp, jacobian } from './higher.js'
import { evaluate64 } from './testing/support.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}
const scalar = (v: number) => ({ shape: [], data: [v] })

describe('grad', () => {
  const neuron = buildOrThrow(emptyGraph, (b) => {
    const w = b.input('w')
    const x = b.input('x')
    const t = b.input('t')
    // E = 1/2 (sigmoid(w x) - t)^2, the lecture's logsig neuron
    return { w, x, t, e: b.mul(b.scalar(0.5), b.square(b.sub(b.sigmoid(b.mul(w, x)), t))) }
  })

  it('keeps the original graph as an unchanged prefix', () => {
    const g = right(grad(neuron.graph, neuron.result.e, [neuron.result.w]))
    expect(g.forwardSize).toBe(neuron.graph.nodes.length)
    expect(g.graph.nodes.length).toBeGreaterThan(neuron.graph.nodes.length)
    neuron.graph.nodes.forEach((n, id) => expect(g.graph.nodes[id]).toBe(n))
  })

  it('matches the lecture: dE/dw = (y - t) y (1 - y) x', () => {
    const g = right(grad(neuron.graph, neuron.result.e, [neuron.result.w]))
    const [w, x, t] = [0.7, -1.3, 0.25]
    const y = 1 / (1 + Math.exp(-w * x))
    const [dw] = evaluate64(g.graph, g.gradients, { w: scalar(w), x: scalar(x), t: scalar(t) })
    expect(dw![0]).toBeCloseTo((y - t) * y * (1 - y) * x, 14)
  })

  it('gives symbolic zeros for variables E does not depend on', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [2])
      const u = b.input('u', [2, 2])
      return { x, u, e: b.sum(b.exp(x)) }
    })
    const g = right(grad(graph, result.e, [result.u]))
    const zero = g.graph.nodes[g.gradients[0]!]!
    expect(zero).toMatchObject({ op: 'const', attrs: { value: 0 }, shape: [2, 2] })
  })

  it('sums fan-in contributions (x used three times)', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      return { x, e: b.mul(b.mul(x, x), b.sin(x)) } // x^2 sin x
    })
    const g = right(grad(graph, result.e, [result.x]))
    const x = 0.9
    expect(evaluate64(g.graph, g.gradients, { x: scalar(x) })[0]![0]).toBeCloseTo(
      2 * x * Math.sin(x) + x * x * Math.cos(x),
      14,
    )
  })

  it('sums gradients of broadcast operands back to their shapes', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const row = b.input('row', [3])
      const col = b.input('col', [2, 1])
      const s = b.input('s')
      return { row, col, s, e: b.sum(b.mul(b.add(row, col), s)) }
    })
    const g = right(grad(graph, result.e, [result.row, result.col, result.s]))
    expect(g.gradients.map((id) => g.graph.nodes[id]!.shape)).toEqual([[3], [2, 1], []])
    const feeds = { row: { shape: [3], data: [1, 2, 3] }, col: { shape: [2, 1], data: [10, 20] }, s: scalar(2) }
    const [dRow, dCol, dS] = evaluate64(g.graph, g.gradients, feeds)
    expect(Array.from(dRow!)).toEqual([4, 4, 4]) // each row element is used by 2 rows, times s
    expect(Array.from(dCol!)).toEqual([6, 6]) // each column element by 3 columns, times s
    expect(Array.from(dS!)).toEqual([2 * (1 + 2 + 3) + 3 * (10 + 20)]) // sum(row + col) over the [2,3] broadcast
  })

  it('passes no gradient through stopGradient', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      return { x, e: b.mul(x, b.stopGradient(b.square(x))) } // d/dx = x^2, not 3 x^2
    })
    const g = right(grad(graph, result.e, [result.x]))
    expect(evaluate64(g.graph, g.gradients, { x: scalar(3) })[0]![0]).toBe(9)
  })

  it('keeps a finite gradient finite when the untaken branch of a select is singular', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      const zero = b.scalar(0)
      const positive = b.greater(x, zero)
      return {
        x,
        // where(x > 0, sqrt(x) + log(x) + 1/x, x): at x = 0 the taken branch is x.
        e: b.where(positive, b.add(b.add(b.sqrt(x), b.log(x)), b.div(b.scalar(1), x)), x),
        // max(x, sqrt(x - 1)) at x = 1: sqrt'(0) is infinite but max takes x.
        m: b.max(b.scalar(2), b.sqrt(b.sub(x, b.scalar(1)))),
      }
    })
    const g = right(grad(graph, result.e, [result.x]))
    expect(evaluate64(g.graph, g.gradients, { x: scalar(0) })[0]![0]).toBe(1)
    const m = right(grad(graph, result.m, [result.x]))
    expect(evaluate64(m.graph, m.gradients, { x: scalar(1) })[0]![0]).toBe(0)
  })

  it('follows the kink conventions: relu\'(0) = 0, abs\'(0) = 0, max ties go to the first operand', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      const y = b.input('y')
      return { x, y, relu: b.relu(x), abs: b.abs(x), max: b.max(x, y), min: b.min(x, y) }
    })
    const at = { x: scalar(0), y: scalar(0) }
    const d = (e: number) => evaluate64(...(() => {
      const g = right(grad(graph, e, [result.x, result.y]))
      return [g.graph, g.gradients] as const
    })(), at).map((v) => v[0])
    expect(d(result.relu)).toEqual([0, 0])
    expect(d(result.abs)).toEqual([0, 0])
    expect(d(result.max)).toEqual([1, 0])
    expect(d(result.min)).toEqual([1, 0])
  })

  it('uses user rules, which can be differentiated again', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x')
      return { x, e: b.sign(b.mul(x, x)) }
    })
    // straight-through: d sign(u) = du, so dE/dx = 2x and d2E/dx2 = 2
    const rules = withRules({ sign: ({ g }) => [g] })
    const h = right(hessian(graph, result.e, [result.x], { rules }))
    const [g, hh] = evaluate64(h.graph, [h.result.gradient[0]!, h.result.hessian[0]![0]!], { x: scalar(1.5) })
    expect([g![0], hh![0]]).toEqual([3, 2])
  })

  it('hands back the adjoint dE/dv of intermediate nodes, summed over their consumers, at no extra nodes', () => {
    // u = x y, E = u^2 + sin(u) + u x: dE/du = 2u + cos(u) + x (three consumers), dE/dx = dE/du y + u
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const [x, y] = [b.input('x'), b.input('y')]
      const u = b.mul(x, y)
      return { x, u, e: b.add(b.add(b.square(u), b.sin(u)), b.mul(u, x)) }
    })
    const both = right(grad(graph, result.e, [result.x, result.u]))
    const [x, y] = [0.7, -1.3]
    const u = x * y
    const [dx, du] = evaluate64(both.graph, both.gradients, { x: scalar(x), y: scalar(y) })
    expect(du![0]).toBeCloseTo(2 * u + Math.cos(u) + x, 14)
    expect(dx![0]).toBeCloseTo((2 * u + Math.cos(u) + x) * y + u, 14)
    expect(both.graph.nodes.length).toBe(right(grad(graph, result.e, [result.x])).graph.nodes.length)
  })

  it('rejects node ids that are not in the graph', () => {
    const g = grad(neuron.graph, 99, [neuron.result.w])
    expect(E.isLeft(g) && g.left.message).toBe('grad: no node #99 in this graph')
  })

  it('grows linearly: sin(sin(...sin(x))) of depth n gives O(n) derivative nodes', () => {
    for (const n of [10, 100, 1000]) {
      const chain = buildOrThrow(emptyGraph, (b) => {
        const x = b.input('x')
        let y = x
        for (let i = 0; i < n; i++) y = b.sin(y)
        return { x, y }
      })
      const g = right(grad(chain.graph, chain.result.y, [chain.result.x]))
      expect(g.graph.nodes.length).toBeLessThanOrEqual(4 * n + 4)
    }
  })
})

describe('higher order', () => {
  const f = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x')
    const y = b.input('y')
    // f = x^3 y + sin(x y)
    return { x, y, f: b.add(b.mul(b.pow(x, b.scalar(3)), y), b.sin(b.mul(x, y))) }
  })
  const at = { x: scalar(0.8), y: scalar(-0.6) }
  const [x, y] = [0.8, -0.6]
  const expected = [
    [6 * x * y - y * y * Math.sin(x * y), 3 * x * x + Math.cos(x * y) - x * y * Math.sin(x * y)],
    [3 * x * x + Math.cos(x * y) - x * y * Math.sin(x * y), -x * x * Math.sin(x * y)],
  ]

  it('hessian is the gradient of the gradient graph', () => {
    const h = right(hessian(f.graph, f.result.f, [f.result.x, f.result.y]))
    const values = evaluate64(h.graph, h.result.hessian.flat(), at).map((v) => v[0]!)
    expected.flat().forEach((e, i) => expect(values[i]).toBeCloseTo(e, 12))
  })

  it('hvp equals the Hessian times a vector', () => {
    const withV = buildOrThrow(f.graph, (b) => [b.input('vx'), b.input('vy')])
    const p = right(hvp(withV.graph, f.result.f, [f.result.x, f.result.y], withV.result))
    const values = evaluate64(p.graph, p.result, { ...at, vx: scalar(2), vy: scalar(-1) }).map((v) => v[0]!)
    expect(values[0]).toBeCloseTo(2 * expected[0]![0]! - expected[0]![1]!, 12)
    expect(values[1]).toBeCloseTo(2 * expected[1]![0]! - expected[1]![1]!, 12)
  })

  it('jacobian of a vector function is one [m, n] node', () => {
    const v = buildOrThrow(emptyGraph, (b) => {
      const u = b.input('u', [2])
      return { u, y: b.mul(b.exp(u), b.sum(u)) } // y_i = e^{u_i} (u_1 + u_2)
    })
    const j = right(jacobian(v.graph, v.result.y, [v.result.u]))
    expect(j.graph.nodes[j.result[0]!]!.shape).toEqual([2, 2])
    const [u1, u2] = [0.3, -0.4]
    const [J] = evaluate64(j.graph, j.result, { u: { shape: [2], data: [u1, u2] } })
    const s = u1 + u2
    const expected = [Math.exp(u1) * (s + 1), Math.exp(u1), Math.exp(u2), Math.exp(u2) * (s + 1)]
    expected.forEach((e, k) => expect(J![k]).toBeCloseTo(e, 12))
  })

  it('hessian of a function of a vector is an [n, n] node, and of a matrix [r, c, r, c]', () => {
    // Rosenbrock f(x) = (1 - x0)^2 + 100 (x1 - x0^2)^2
    const f = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [2])
      const [x0, x1] = [b.index(x, 0), b.index(x, 1)]
      const one = b.scalar(1)
      return { x, f: b.add(b.square(b.sub(one, x0)), b.mul(b.scalar(100), b.square(b.sub(x1, b.square(x0))))) }
    })
    const h = right(hessian(f.graph, f.result.f, [f.result.x]))
    const H = h.result.hessian[0]![0]!
    expect(h.graph.nodes[H]!.shape).toEqual([2, 2])
    const [x0, x1] = [-1.2, 1]
    const [g, hh] = evaluate64(h.graph, [h.result.gradient[0]!, H], { x: { shape: [2], data: [x0, x1] } })
    expect([...g!]).toEqual([-2 * (1 - x0) - 400 * x0 * (x1 - x0 * x0), 200 * (x1 - x0 * x0)].map((v) => expect.closeTo(v, 10)))
    const expected = [2 - 400 * (x1 - x0 * x0) + 800 * x0 * x0, -400 * x0, -400 * x0, 200]
    expected.forEach((e, k) => expect(hh![k]).toBeCloseTo(e, 10))

    // E = sum(W^3) for W [2,3]: d2E/dW_ij dW_kl = 6 W_ij where (i,j) = (k,l), else 0.
    const m = buildOrThrow(emptyGraph, (b) => {
      const W = b.input('W', [2, 3])
      return { W, e: b.sum(b.mul(W, b.square(W))) }
    })
    const hm = right(hessian(m.graph, m.result.e, [m.result.W]))
    expect(hm.graph.nodes[hm.result.hessian[0]![0]!]!.shape).toEqual([2, 3, 2, 3])
    const w = [0.5, -1, 2, 0.25, 3, -0.5]
    const [HW] = evaluate64(hm.graph, [hm.result.hessian[0]![0]!], { W: { shape: [2, 3], data: w } })
    HW!.forEach((v, k) => expect(v).toBeCloseTo(Math.floor(k / 6) === k % 6 ? 6 * w[k % 6]! : 0, 12))
  })

  it('hessian refuses an output of more than one element', () => {
    const v = buildOrThrow(emptyGraph, (b) => {
      const x = b.input('x', [3])
      return { x, y: b.square(x) }
    })
    const h = hessian(v.graph, v.result.y, [v.result.x])
    expect(E.isLeft(h) && h.left.message).toMatch(/has shape \[3\], not a scalar/)
  })
})
