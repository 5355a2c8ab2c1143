import { type Backend, tensor } from '@backprop/backend'
import { cpuBackend } from '@backprop/backend-cpu'
import { workersBackend } from '@backprop/backend-workers'
import { BackpropError } from '@backprop/graph'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { tryValueAndGrad, valueAndGrad } from './value-and-grad.js'

const logsig = (a: number) => 1 / (1 + Math.exp(-a))

// The message a throwing call throws, checked to be a BackpropError.
const thrown = (call: () => unknown): string => {
  try {
    call()
  } catch (e) {
    expect(e).toBeInstanceOf(BackpropError)
    return (e as BackpropError).message
  }
  throw new Error('expected a throw')
}

describe('valueAndGrad of an expression', () => {
  const f = valueAndGrad('0.5*(sigmoid(w*x) - t)^2', { wrt: ['w', 'x'] })

  it('gives the value and dE/dw = (y - t) y (1 - y) x from plain numbers', () => {
    for (const [w, x, t] of [[0.3, -1.2, 0.5], [-2, 0.7, 1], [1.5, 2, 0]] as const) {
      const y = logsig(w * x)
      const { value, grad } = f({ w, x, t })
      expect(value).toBeCloseTo(0.5 * (y - t) ** 2, 14)
      expect(grad.w.data[0]).toBeCloseTo((y - t) * y * (1 - y) * x, 14)
      expect(grad.x.data[0]).toBeCloseTo((y - t) * y * (1 - y) * w, 14)
      expect(grad.w.shape).toEqual([])
    }
  })

  it('gives the Hessian of x^2 y + sin(y) as the derivative of the gradient graph', () => {
    const h = valueAndGrad('x^2*y + sin(y)', { hessian: true })
    const [x, y] = [1.5, -0.5]
    const { value, grad, hessian } = h({ x, y })
    expect(value).toBeCloseTo(x * x * y + Math.sin(y), 14)
    expect([grad.x.data[0], grad.y.data[0]]).toEqual([2 * x * y, x * x + Math.cos(y)])
    expect(hessian.x.x.data[0]).toBeCloseTo(2 * y, 14)
    expect(hessian.x.y.data[0]).toBeCloseTo(2 * x, 14)
    expect(hessian.y.x.data[0]).toBeCloseTo(2 * x, 14)
    expect(hessian.y.y.data[0]).toBeCloseTo(-Math.sin(y), 14)
  })
})

describe('valueAndGrad of a recipe', () => {
  // E = sum((x w)^2): dE/dw = 2 x^T (x w), dE/dx = 2 (x w) w^T
  const f = valueAndGrad((b, { x, w }) => b.sum(b.square(b.matmul(x, w))), { x: [2, 3], w: [3, 1] })
  const x = [[1, 2, 3], [-1, 0.5, 2]]
  const w = [0.5, -1, 2]
  const xw = x.map((row) => row.reduce((s, v, i) => s + v * w[i]!, 0))

  it('takes nested arrays, flat arrays and tensors alike', () => {
    const expected = w.map((_, i) => 2 * xw.reduce((s, r, m) => s + x[m]![i]! * r, 0))
    for (const args of [
      { x, w: w.map((v) => [v]) },
      { x: x.flat(), w: Float64Array.from(w) },
      { x: tensor(x.flat(), [2, 3]), w: tensor(w, [3, 1]) },
    ]) {
      const { value, grad } = f(args)
      expect(value).toBeCloseTo(xw.reduce((s, r) => s + r * r, 0), 12)
      expect(grad.w.shape).toEqual([3, 1])
      expect([...grad.w.data].map((v, i) => v - expected[i]!).every((d) => Math.abs(d) < 1e-12)).toBe(true)
      expect([...grad.x.data]).toEqual(x.flatMap((_, m) => w.map((wi) => 2 * xw[m]! * wi)))
    }
  })

  it('compiles once and runs many times', () => {
    let compiles = 0
    const cpu = cpuBackend()
    const counting = { ...cpu, compile: (...args: Parameters<typeof cpu.compile>) => (compiles++, cpu.compile(...args)) }
    const g = valueAndGrad((b, { a }) => b.square(a), { a: [] }, { backend: counting })
    expect([1, 2, 3].map((a) => g({ a }).grad.a.data[0])).toEqual([2, 4, 6])
    expect(compiles).toBe(1)
  })

  it('reports adjoints of named intermediate nodes and aux values', () => {
    const g = valueAndGrad(
      (b, { x }) => {
        const z = b.mul(x, b.scalar(3))
        return { value: b.sum(b.square(z)), adjoints: { z }, aux: { z } }
      },
      { x: [2] },
    )
    const { grad, aux } = g({ x: [1, -2] })
    expect([...aux.z.data]).toEqual([3, -6])
    expect([...grad.z.data]).toEqual([6, -12]) // dE/dz = 2 z
    expect([...grad.x.data]).toEqual([18, -36]) // dE/dx = 2 z * 3
  })

  it('differentiates with respect to params the recipe declares', () => {
    const g = valueAndGrad((b, { x }) => b.sum(b.mul(b.param('v', [2]), x)), { x: [2] }, { wrt: ['v'] })
    expect([...g({ x: [4, 5], v: [1, 1] }).grad.v.data]).toEqual([4, 5])
  })

  it('computes in float32 with the f32 option', () => {
    const g = valueAndGrad((b, { a }) => b.square(a), { a: [] }, { dtype: 'f32' })
    const { grad } = g({ a: 0.1 })
    expect(grad.a.dtype).toBe('f32')
    expect(grad.a.data[0]).toBe(Math.fround(2 * Math.fround(0.1)))
  })
})

describe('valueAndGrad mistakes: one typed error, the message of the Either form', () => {
  const f = valueAndGrad((b, { x }) => b.sum(b.square(x)), { x: [3] })

  it('a wrong input shape', () => {
    const message = thrown(() => f({ x: [1, 2] }))
    const left = f.either({ x: [1, 2] })
    expect(E.isLeft(left) && left.left.message).toBe(message)
    expect(message).toBe("feed 'x' has shape [2] but the graph expects [3]")
  })

  it('an unknown argument and a missing one', () => {
    expect(thrown(() => f({ x: [1, 2, 3], y: 1 }))).toMatch(/'y'.*x/)
    expect(thrown(() => f({}))).toMatch(/missing feed 'x'/)
  })

  it('an unknown parameter to differentiate', () => {
    const make = () => tryValueAndGrad((b, { x }) => b.sum(x), { x: [3] }, { wrt: ['q'] })
    const left = make()
    expect(E.isLeft(left) && left.left._tag).toBe('UnknownName')
    expect(thrown(() => valueAndGrad((b, { x }) => b.sum(x), { x: [3] }, { wrt: ['q'] }))).toBe(
      E.isLeft(left) ? left.left.message : '',
    )
    expect(E.isLeft(left) && left.left.message).toBe("valueAndGrad: unknown parameter 'q'; the function takes x")
  })

  it('a value that is not a scalar', () => {
    const left = tryValueAndGrad((b, { x }) => b.square(x), { x: [3] })
    expect(E.isLeft(left) && left.left._tag).toBe('ShapeError')
    const message = thrown(() => valueAndGrad((b, { x }) => b.square(x), { x: [3] }))
    expect(E.isLeft(left) && left.left.message).toBe(message)
    expect(message).toMatch(/shape \[3\], not a scalar/)
  })

  it('a recipe or expression that does not build', () => {
    expect(thrown(() => valueAndGrad('x^2 * (y'))).toBe('unexpected end of input at column 9')
    expect(thrown(() => valueAndGrad((b, { x, y }) => b.sum(b.add(x, y)), { x: [3], y: [2] }))).toMatch(/do not broadcast/)
  })
})

describe('valueAndGrad on another backend', () => {
  it('returns a promise on workers, with the values of the CPU backend', async () => {
    const backend: Backend = workersBackend({ workers: 2, minFlops: 0 })
    const onWorkers = valueAndGrad((b, { x }) => b.sum(b.sin(x)), { x: [4] }, { backend })
    try {
      const args = { x: [0.1, 0.2, 0.3, 0.4] }
      const result = await onWorkers(args)
      expect([...result.grad.x.data]).toEqual(args.x.map(Math.cos))
      const bad = await onWorkers.either({ x: [1] })
      expect(E.isLeft(bad) && bad.left.message).toBe("feed 'x' has shape [1] but the graph expects [4]")
      await expect(onWorkers({ x: [1] })).rejects.toThrow(BackpropError)
    } finally {
      await onWorkers.dispose()
    }
  })
})
