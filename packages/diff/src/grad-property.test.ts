import { inputsOf } from '@backprop/graph'
import { arbitraryScalarGraph } from '@backprop/graph/testing'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { grad } from './grad.js'
import { evaluate64 } from './testing/support.js'

const names = ['x', 'y', 'z']

describe('grad on random graphs', () => {
  it('equals central finite differences in f64 wherever the function is smooth', () => {
    let compared = 0
    fc.assert(
      fc.property(
        // Moderate constants: finite differences cannot see through 1.5e21 + x.
        arbitraryScalarGraph({ maxSteps: 10, constants: [0, -0, 1, 2, -2, 0.5, -1.5, 0.1, 3, Math.PI, Math.E] }),
        // Points on a grid offset from 0: intermediate derivatives of smooth
        // functions can be singular at 0 (d(y/y)/dy), as in any AD system.
        fc.array(fc.integer({ min: -200, max: 199 }).map((i) => i / 100 + 0.005), { minLength: 3, maxLength: 3 }),
        ({ graph, output }, point) => {
          const present = names.filter((n) => inputsOf(graph).has(n))
          const wrt = present.map((n) => inputsOf(graph).get(n)!)
          const g = grad(graph, output, wrt)
          if (E.isLeft(g)) throw new Error(g.left.message)
          const feeds = Object.fromEntries(present.map((n) => [n, { shape: [], data: [point[names.indexOf(n)]!] }]))
          const value = (at: Record<string, number>) =>
            evaluate64(graph, [output], Object.fromEntries(present.map((n) => [n, { shape: [], data: [at[n]!] }])))[0]![0]!
          const symbolic = evaluate64(g.right.graph, g.right.gradients, feeds).map((v) => v[0]!)
          present.forEach((n, i) => {
            const at = Object.fromEntries(present.map((m) => [m, point[names.indexOf(m)]!]))
            const f = (h: number) => value({ ...at, [n]: at[n]! + h })
            const h = 1e-5
            const [left, right, fine] = [(f(0) - f(-h)) / h, (f(h) - f(0)) / h, (f(h) - f(-h)) / (2 * h)]
            const coarse = (f(10 * h) - f(-10 * h)) / (20 * h)
            // Skip points at or near a kink, pole or overflow: there one-sided
            // differences, or two step sizes, disagree.
            const smooth =
              [left, right, coarse, fine, symbolic[i]!].every(Number.isFinite) &&
              Math.abs(coarse) < 1e6 &&
              Math.abs(f(0)) < 1e6 && // larger values drown a step of 1e-5 in rounding
              Math.abs(left - right) <= 1e-3 * (1 + Math.abs(fine)) &&
              Math.abs(coarse - fine) <= 1e-5 * (1 + Math.abs(fine))
            if (!smooth) return
            compared++
            expect(Math.abs(symbolic[i]! - fine)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(fine)))
          })
        },
      ),
      { numRuns: 300, seed: 42 },
    )
    expect(compared).toBeGreaterThan(200) // most random points are smooth
  })
})
