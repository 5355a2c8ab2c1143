import { simplify, toText } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { differentiate } from './expression.js'
import { evaluateAt } from './expression-values.js'
import { close, loadReference, type ScalarCase } from './testing/reference.js'

const files = loadReference().flatMap((f) => (f.kind === 'scalar-expressions' ? [f] : []))

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** Differences between actual and expected figures, as readable lines (empty when all agree). */
const mismatches = (c: ScalarCase): string[] => {
  const d = right(differentiate(c.expr, c.vars, 2))
  return c.points.flatMap((p, k) => {
    const r = right(evaluateAt(d, p.at))
    const out: string[] = []
    const check = (what: string, a: number, e: number) => {
      if (!close(a, e)) out.push(`point ${k} ${what}: got ${a}, expected ${e}`)
    }
    check('value', r.value, p.value)
    for (const u of c.vars) {
      check(`d/d${u}`, r.gradient![u]!, p.gradient[u]!)
      for (const v of c.vars) check(`d2/d${u}d${v}`, r.hessian![u]![v]!, p.hessian[u]![v]!)
    }
    return out
  })
}

/** Our simplified derivative printed as text, parsed back and evaluated at each point. */
const printedDerivativeMismatches = (c: ScalarCase): string[] => {
  const d = right(differentiate(c.expr, c.vars, 1))
  const simplified = simplify(d.graph, d.gradient)
  return c.vars.flatMap((v, i) => {
    const text = toText(simplified.graph, simplified.outputs[i]!)
    const printed = right(differentiate(text, [], 1))
    return c.points.flatMap((p, k) => {
      const got = right(evaluateAt(printed, p.at)).value
      return close(got, p.gradient[v]!) ? [] : [`point ${k}: d/d${v} = ${text} gives ${got}, expected ${p.gradient[v]}`]
    })
  })
}

describe.each(files)('reference $file', ({ cases }) => {
  it.each(cases.map((c) => [c.id, c] as const))('%s: value, gradient and Hessian', (_id, c) => {
    expect(mismatches(c)).toEqual([])
  })

  it.each(cases.filter((c) => c.derivatives).map((c) => [c.id, c] as const))(
    '%s: printed derivative parses and evaluates to the gradient',
    (_id, c) => {
      expect(printedDerivativeMismatches(c)).toEqual([])
    },
  )

  it.each(cases.filter((c) => c.derivatives).map((c) => [c.id, c] as const))(
    '%s: the reference derivative text parses and agrees with our gradient',
    (_id, c) => {
      const ours = right(differentiate(c.expr, c.vars, 1))
      const bad = c.vars.flatMap((v, i) => {
        const theirs = right(differentiate(c.derivatives![v]!, [], 1))
        return c.points.flatMap((p, k) => {
          const a = right(evaluateAt(theirs, p.at)).value
          const b = right(evaluateAt(ours, p.at)).gradient![v]!
          return close(b, a) ? [] : [`point ${k} d/d${v}: ours ${b}, reference text ${a}`]
        })
      })
      expect(bad).toEqual([])
    },
  )
})
