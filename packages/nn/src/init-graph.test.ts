import { buildOrThrow, emptyGraph, type Graph } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { type InitOptions, initParams, type ParamValue } from './init.js'
import { layered } from './layered.js'

const init = (graph: Graph, options: InitOptions): Record<string, ParamValue> => {
  const result = initParams(graph, options)
  if (E.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const variance = (data: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < data.length; i++) s += data[i]! * data[i]!
  return s / data.length
}

describe('initParams of any graph', () => {
  // x [8, 40] @ W [40, 60] + b, then tanh; a scalar scale; a relu branch V [60, 30] from the left.
  const { graph } = buildOrThrow(emptyGraph, (b) => {
    const x = b.input('x', [8, 40])
    const h = b.tanh(b.add(b.matmul(x, b.param('W', [40, 60])), b.param('b', [60])))
    const r = b.relu(b.matmul(b.param('V', [30, 60]), b.transpose(h)))
    return b.mul(b.sum(r), b.param('scale', [], 'f64'))
  })

  it('starts rank-0 and rank-1 parameters at zero, in their shapes and dtypes', () => {
    const p = init(graph, { seed: 3 })
    expect(Object.keys(p)).toEqual(['W', 'b', 'V', 'scale'])
    expect(p.b!.shape).toEqual([60])
    expect([...p.b!.data].every((v) => v === 0)).toBe(true)
    expect(p.scale!.shape).toEqual([])
    expect(p.scale!.data[0]).toBe(0)
  })

  it('draws a matrix multiplied from the right as [in, out] (Glorot uniform for tanh)', () => {
    const { W } = init(graph, { seed: 3 })
    const r = Math.sqrt(6 / (40 + 60))
    expect(W!.shape).toEqual([40, 60])
    expect(Math.max(...W!.data.map(Math.abs))).toBeLessThanOrEqual(r)
    expect(Math.max(...W!.data.map(Math.abs))).toBeGreaterThan(0.95 * r)
    expect(variance(W!.data)).toBeCloseTo(r * r / 3, 2)
  })

  it('draws a matrix multiplied from the left as [out, in], He normal when it feeds a relu (auto)', () => {
    const { V } = init(graph, { seed: 3 })
    expect(variance(V!.data)).toBeGreaterThan(0.8 * (2 / 60))
    expect(variance(V!.data)).toBeLessThan(1.2 * (2 / 60))
    const glorot = init(graph, { seed: 3, scheme: 'glorot' }).V!
    expect(Math.max(...glorot.data.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 90))
  })

  it('is deterministic in the seed', () => {
    expect(init(graph, { seed: 5 })).toEqual(init(graph, { seed: 5 }))
    expect(init(graph, { seed: 5 }).W!.data).not.toEqual(init(graph, { seed: 6 }).W!.data)
  })

  it('gives a layered network the values of the layered initialiser', () => {
    const spec = { sizes: [4, 7, 5, 3], activations: ['relu', 'tanh', 'softmax'], loss: 'softmax-cross-entropy' } as const
    const net = layered({ ...spec, batch: 6, dtype: 'f32' })
    if (E.isLeft(net)) throw new Error(net.left.message)
    const fromSpec = initParams({ ...spec, dtype: 'f32' }, { seed: 11 })
    expect(init(net.right.graph, { seed: 11 })).toEqual(E.isRight(fromSpec) ? fromSpec.right : undefined)
  })

  it('refuses an unknown scheme or a seed that is not finite', () => {
    const scheme = initParams(graph, { seed: 1, scheme: 'lecun' as 'he' })
    expect(E.isLeft(scheme) && scheme.left.message).toBe("initParams: unknown scheme 'lecun'; expected glorot, he or auto")
    const seed = initParams(graph, { seed: Number.NaN })
    expect(E.isLeft(seed) && seed.left.message).toBe('initParams: seed is NaN; it must be a finite number')
  })
})
