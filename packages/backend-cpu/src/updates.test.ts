import * as E from 'fp-ts/lib/Either.js'
import { type Tensor, tensor } from '@backprop/backend'
import { buildOrThrow, emptyGraph } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import { cpuBackend, evaluate, isStateful, type ParamUpdate } from './index.js'
import { mlpFeeds, mlpStep } from './testing/mlp.js'

const unwrap = <A>(x: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message)
  return x.right
}

const expectClose = (actual: Tensor, expected: Tensor, tolerance: number, label: string): void => {
  expect(actual.data.length).toBe(expected.data.length)
  actual.data.forEach((v, i) => expect(Math.abs(v - expected.data[i]!), `${label}[${i}]`).toBeLessThanOrEqual(tolerance * (1 + Math.abs(expected.data[i]!))))
}

describe.each([true, false])('in-place parameter updates (simd %s)', (simd) => {
  const backend = cpuBackend({ simd })
  const sizes = [12, 8, 3] as const

  it.each(['f32', 'f64'] as const)('train like feeding the parameters and applying the update by hand (%s)', (dtype) => {
    const step = mlpStep(5, sizes, dtype)
    const updates: ParamUpdate[] = step.params.map((param, i) => ({ param, value: step.updates[i]! }))
    const exe = unwrap(backend.compile(step.graph, [step.loss], { updates }))
    expect(isStateful(exe)).toBe(true)
    expect(exe.params!.names).toEqual(['W1', 'b1', 'W2', 'b2'])
    expect(exe.feeds.filter((f) => f.required).map((f) => f.name)).toEqual(['x', 't', 'lr'])

    const initial = mlpFeeds(5, sizes, dtype)
    let params: Record<string, Tensor> = { W1: initial.W1!, b1: initial.b1!, W2: initial.W2!, b2: initial.b2! }
    const batches = [1, 2, 3, 4].map((seed) => mlpFeeds(5, sizes, dtype, seed))
    const tolerance = dtype === 'f32' ? 2e-5 : 1e-12
    batches.forEach((batch, s) => {
      // The reference: evaluate the loss and each update from the current parameters.
      const data = { x: batch.x!, t: batch.t!, lr: batch.lr! }
      const expected = unwrap(evaluate(step.graph, [step.loss, ...step.updates], { ...data, ...params }))
      const given = s === 0 ? { ...data, ...params } : data
      const [loss] = unwrap(exe.runSync(given))
      expectClose(loss!, expected[0]!, tolerance, `loss at step ${s}`)
      params = Object.fromEntries(step.params.map((name, i) => [name, expected[i + 1]!]))
      const held = unwrap(exe.params!.read())
      for (const name of step.params) expectClose(held[name]!, params[name]!, tolerance * 10, `${name} after step ${s}`)
      // Keep the comparison exact in kind: continue from the backend's own values.
      params = held
    })
  })

  it('applies all updates at once, from the values before the run', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const a = b.param('a', [3], 'f64')
      const c = b.param('c', [3], 'f64')
      return { a, c, sum: b.add(a, c), nextA: b.mul(c, b.scalar(2)), nextC: b.add(a, b.scalar(1)) }
    })
    const exe = unwrap(
      backend.compile(graph, [result.a, result.sum], {
        updates: [
          { param: 'a', value: result.nextA },
          { param: 'c', value: result.nextC },
        ],
      }),
    )
    const first = unwrap(exe.runSync({ a: tensor([1, 2, 3], [3]), c: tensor([10, 20, 30], [3]) }))
    expect(first.map((t) => Array.from(t.data))).toEqual([
      [1, 2, 3],
      [11, 22, 33],
    ])
    expect(Array.from(unwrap(exe.params!.read()).a!.data)).toEqual([20, 40, 60])
    expect(Array.from(unwrap(exe.params!.read()).c!.data)).toEqual([2, 3, 4])
    const second = unwrap(exe.runSync({}))
    expect(second.map((t) => Array.from(t.data))).toEqual([
      [20, 40, 60],
      [22, 43, 64],
    ])
  })

  it('gives two parameters updated to the same value that value', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const a = b.param('a', [2], 'f64')
      const c = b.param('c', [2], 'f64')
      return { a, c, next: b.add(b.add(a, c), b.scalar(1)) }
    })
    const exe = unwrap(
      backend.compile(graph, [result.next], {
        updates: [
          { param: 'a', value: result.next },
          { param: 'c', value: result.next },
        ],
      }),
    )
    const out = unwrap(exe.runSync({ a: tensor([1, 2], [2]), c: tensor([10, 20], [2]) }))
    expect(Array.from(out[0]!.data)).toEqual([12, 23])
    const held = unwrap(exe.params!.read())
    expect([Array.from(held.a!.data), Array.from(held.c!.data)]).toEqual([
      [12, 23],
      [12, 23],
    ])
  })

  it('takes a parameter from the feeds when given, and never changes what the caller holds', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const w = b.param('w', [2], 'f32')
      return { y: b.sum(w), next: b.sub(w, b.input('g', [2], 'f32')) }
    })
    const exe = unwrap(backend.compile(graph, [result.y], { updates: [{ param: 'w', value: result.next }] }))
    const g = tensor([1, 1], [2], 'f32')
    expect(E.isLeft(exe.runSync({ g })) && exe.runSync({ g })).toMatchObject({ left: { _tag: 'MissingFeed', name: 'w' } })
    expect(E.isLeft(exe.params!.read())).toBe(true)
    const w = tensor([5, 7], [2], 'f32')
    expect(unwrap(exe.runSync({ w, g }))[0]!.data[0]).toBe(12)
    expect(Array.from(w.data)).toEqual([5, 7])
    expect(unwrap(exe.runSync({ g }))[0]!.data[0]).toBe(10)
    const held = unwrap(exe.params!.read())
    held.w!.data.fill(100)
    expect(unwrap(exe.runSync({ g }))[0]!.data[0]).toBe(8)
    expect(unwrap(exe.runSync({ w: tensor([1, 1], [2], 'f32'), g }))[0]!.data[0]).toBe(2)
    expect(E.isRight(exe.params!.write({ w: tensor([3, 3], [2], 'f32') }))).toBe(true)
    expect(unwrap(exe.runSync({ g }))[0]!.data[0]).toBe(6)
  })

  it('validates what is written into the held parameters', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const w = b.param('w', [2], 'f32')
      return b.mul(w, b.scalar(0.5, 'f32'))
    })
    const exe = unwrap(backend.compile(graph, [result], { updates: [{ param: 'w', value: result }] }))
    expect(exe.params!.write({ v: tensor([1, 2], [2], 'f32') })).toMatchObject({ left: { _tag: 'UnknownFeed' } })
    expect(exe.params!.write({ w: tensor([1, 2, 3], [3], 'f32') })).toMatchObject({ left: { _tag: 'FeedShape' } })
    expect(exe.params!.write({ w: tensor([1, 2], [2], 'f64') })).toMatchObject({ left: { _tag: 'FeedDType' } })
  })

  it('rejects updates that do not fit the graph when compiling', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => {
      const w = b.param('w', [2], 'f32')
      return { w, y: b.sum(w), wide: b.input('x', [3], 'f32'), f64: b.input('d', [2], 'f64') }
    })
    const error = (updates: ParamUpdate[]) => {
      const compiled = backend.compile(graph, [result.y], { updates })
      return E.isLeft(compiled) ? compiled.left : undefined
    }
    expect(error([{ param: 'nope', value: result.w }])).toMatchObject({ _tag: 'UnknownFeed', name: 'nope' })
    expect(error([{ param: 'w', value: result.wide }])).toMatchObject({ _tag: 'FeedShape', name: 'w' })
    expect(error([{ param: 'w', value: result.f64 }])).toMatchObject({ _tag: 'FeedDType', name: 'w' })
    expect(error([{ param: 'w', value: 99 }])).toMatchObject({ _tag: 'UnknownOutput' })
    expect(
      error([
        { param: 'w', value: result.w },
        { param: 'w', value: result.w },
      ]),
    ).toMatchObject({ _tag: 'FeedConflict', name: 'w' })
  })

  it('is an ordinary executable without updates', () => {
    const { graph, result } = buildOrThrow(emptyGraph, (b) => b.sum(b.param('w', [2], 'f32')))
    const exe = unwrap(backend.compile(graph, [result]))
    expect(isStateful(exe)).toBe(false)
    expect(exe.params).toBeUndefined()
  })
})
