import { tensor } from '@backprop/backend'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { jit, tryJit } from './jit.js'

describe('jit', () => {
  it('returns tensors in the arrangement the recipe returned', () => {
    const f = jit((b, { x, y }) => ({ sum: b.add(x, y), prod: b.mul(x, y) }), { x: [2], y: [2] })
    const r = f({ x: [1, 2], y: [3, 4] })
    expect([...r.sum.data]).toEqual([4, 6])
    expect([...r.prod.data]).toEqual([3, 8])
    const g = jit((b, { x }) => [b.neg(x), b.exp(x)], { x: [] })
    const [n, e] = g({ x: 1 })
    expect([n!.data[0], e!.data[0]]).toEqual([-1, Math.E])
    const h = jit((b, { m }) => b.transpose(m), { m: [2, 3] })
    expect([...h({ m: tensor([1, 2, 3, 4, 5, 6], [2, 3]) }).data]).toEqual([1, 4, 2, 5, 3, 6])
  })

  it('compiles an expression with scalar variables', () => {
    const f = jit('x^2 * y')
    expect(f({ x: 3, y: 2 }).data[0]).toBe(18)
    expect(f.args).toEqual(['x', 'y'])
  })

  it('reports a recipe that does not build as a Left', () => {
    const left = tryJit((b, { x }) => b.matmul(x, x), { x: [2, 3] })
    expect(E.isLeft(left) && left.left.message).toBe('matmul: inner extents differ: [2,3] x [2,3] (3 != 2)')
  })
})
