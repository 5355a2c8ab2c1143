import { type Builder, buildOrThrow, type DType, emptyGraph, type NodeId } from '@backprop/graph'
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend.js'
import { tensor } from '../tensor.js'
import { dtypes, expectTensor, runOnce } from './harness.js'

/** Runs `recipe` on inputs `a`, `b` (and `c`), all vectors of the given values, and returns the output's values. */
const values = async (
  backend: Backend,
  dtype: DType,
  operands: readonly (readonly number[])[],
  recipe: (b: Builder, xs: readonly NodeId[]) => NodeId,
): Promise<number[]> => {
  const names = ['a', 'b', 'c']
  const { graph, result } = buildOrThrow(emptyGraph, (b) =>
    recipe(
      b,
      operands.map((v, i) => b.input(names[i]!, [v.length], dtype)),
    ),
  )
  const feeds = Object.fromEntries(operands.map((v, i) => [names[i]!, tensor(v, [v.length], dtype)]))
  const [out] = await runOnce(backend, graph, [result], feeds)
  return Array.from(out!.data)
}

/** The values with every zero made +0, for checks where the sign of a zero is not specified. */
const unsigned = (vs: readonly number[]): number[] => vs.map((v) => (v === 0 ? 0 : v))

/** `Object.is` per element, so that the sign of a zero counts. */
const expectSame = (actual: readonly number[], expected: readonly number[]): void => {
  expect(actual.length).toBe(expected.length)
  actual.forEach((a, i) => expect(Object.is(a, expected[i]), `element ${i}: ${Object.is(a, -0) ? '-0' : a} vs ${Object.is(expected[i], -0) ? '-0' : expected[i]}`).toBe(true))
}

/**
 * The conventions at kinks and ties that derivative rules rely on.
 *
 * @internal
 */
export const describeConventions = (make: () => Backend): void => {
  describe.each(dtypes)('conventions at kinks and ties (%s)', (dtype) => {
    it('relu(0) = 0 and relu of negatives is 0', async () => {
      const out = await values(make(), dtype, [[0, -0, -1, 2]], (b, [x]) => b.relu(x!))
      expect(unsigned(out)).toEqual([0, 0, 0, 2])
    })

    it('sign(0) = 0 and abs(-0) = 0', async () => {
      expect(unsigned(await values(make(), dtype, [[0, -0, -5, 5]], (b, [x]) => b.sign(x!)))).toEqual([0, 0, -1, 1])
      expect(unsigned(await values(make(), dtype, [[-0, -3]], (b, [x]) => b.abs(x!)))).toEqual([0, 3])
    })

    it('max and min pick the first operand on a tie', async () => {
      const a = [-0, 0, 1, 2]
      const b = [0, -0, 1, -2]
      expectSame(await values(make(), dtype, [a, b], (g, [x, y]) => g.max(x!, y!)), [-0, 0, 1, 2])
      expectSame(await values(make(), dtype, [a, b], (g, [x, y]) => g.min(x!, y!)), [-0, 0, 1, -2])
    })

    it('comparisons on ties: greater 0, greaterEqual 1, equal 1 (also for 0 and -0)', async () => {
      const a = [1, 0, 2, 1]
      const b = [1, -0, 1, 2]
      expect(await values(make(), dtype, [a, b], (g, [x, y]) => g.greater(x!, y!))).toEqual([0, 0, 1, 0])
      expect(await values(make(), dtype, [a, b], (g, [x, y]) => g.greaterEqual(x!, y!))).toEqual([1, 1, 1, 0])
      expect(await values(make(), dtype, [a, b], (g, [x, y]) => g.equal(x!, y!))).toEqual([1, 1, 0, 0])
    })

    it('where takes the first branch for any non-zero condition', async () => {
      const out = await values(make(), dtype, [[0, -0, 2, -1, NaN], [1, 1, 1, 1, 1], [7, 7, 7, 7, 7]], (g, [c, x, y]) =>
        g.where(c!, x!, y!),
      )
      expect(out).toEqual([7, 7, 1, 1, 1])
    })

    it('mulNoNan is 0 wherever its first operand is 0, even times Infinity or NaN', async () => {
      const out = await values(make(), dtype, [[0, 0, 2, 3], [Infinity, NaN, Infinity, 2]], (g, [x, y]) => g.mulNoNan(x!, y!))
      expect(unsigned(out)).toEqual([0, 0, Infinity, 6])
    })
  })
}

/**
 * The numerically stable forms: sigmoid and softplus at ±1000, softmax,
 * logSoftmax and logSumExp of large inputs.
 *
 * @internal
 */
export const describeStability = (make: () => Backend): void => {
  describe.each(dtypes)('stable forms (%s)', (dtype) => {
    it('sigmoid and softplus do not overflow at ±1000', async () => {
      expect(unsigned(await values(make(), dtype, [[-1000, 1000]], (b, [x]) => b.sigmoid(x!)))).toEqual([0, 1])
      expect(unsigned(await values(make(), dtype, [[-1000, 1000]], (b, [x]) => b.softplus(x!)))).toEqual([0, 1000])
    })

    it('softmax, logSoftmax and logSumExp of large inputs match the shifted values', async () => {
      // softmax is shift-invariant: softmax(1000 + v) = softmax(v); the values
      // for v = [0, 1, 2] are e^v / (1 + e + e^2).
      const z = 1 + Math.E + Math.E ** 2
      const soft = [1 / z, Math.E / z, Math.E ** 2 / z]
      for (const shift of [1000, -1000]) {
        const x = [shift, shift + 1, shift + 2]
        const g = buildOrThrow(emptyGraph, (b) => {
          const v = b.input('a', [3], dtype)
          return [b.softmax(v), b.logSoftmax(v), b.logSumExp(v)]
        })
        const out = await runOnce(make(), g.graph, g.result, { a: tensor(x, [3], dtype) })
        expectTensor(out[0]!, { shape: [3], values: soft }, dtype, `softmax at ${shift}`)
        expectTensor(out[1]!, { shape: [3], values: soft.map(Math.log) }, dtype, `logSoftmax at ${shift}`)
        expectTensor(out[2]!, { shape: [], values: [shift + Math.log(z)] }, dtype, `logSumExp at ${shift}`)
      }
    })

    it('logSumExp along each axis of a matrix of large values', async () => {
      const g = buildOrThrow(emptyGraph, (b) => {
        const v = b.input('a', [2, 2], dtype)
        return [b.logSumExp(v, 0), b.logSumExp(v, 1, true)]
      })
      const out = await runOnce(make(), g.graph, g.result, { a: tensor([1000, -1000, 1000, -1000], [2, 2], dtype) })
      expectTensor(out[0]!, { shape: [2], values: [1000 + Math.LN2, -1000 + Math.LN2] }, dtype, 'axis 0')
      expectTensor(out[1]!, { shape: [2, 1], values: [1000, 1000] }, dtype, 'axis 1')
    })
  })
}

/**
 * Float32 rounding after every op, not only of the final result, and of
 * constants.
 *
 * @internal
 */
export const describeRounding = (make: () => Backend): void => {
  describe('float32 rounding', () => {
    it('rounds every op result to float32, not only the final one', async () => {
      // 1 + 2^-25 is 1 in float32, so (x + c) - x is exactly 0 in f32 but 2^-25 in f64.
      const c = 2 ** -25
      for (const dtype of dtypes) {
        const g = buildOrThrow(emptyGraph, (b) => {
          const x = b.input('x', [], dtype)
          return b.sub(b.add(x, b.scalar(c, dtype)), x)
        })
        const [out] = await runOnce(make(), g.graph, [g.result], { x: tensor([1], [], dtype) })
        expect(out!.data[0], dtype).toBe(dtype === 'f32' ? 0 : c)
      }
    })

    it('rounds constants and feeds-derived values to float32', async () => {
      const g = buildOrThrow(emptyGraph, (b) => b.mul(b.scalar(0.1, 'f32'), b.input('x', [], 'f32')))
      const [out] = await runOnce(make(), g.graph, [g.result], { x: tensor([3], [], 'f32') })
      expect(out!.data).toBeInstanceOf(Float32Array)
      expect(out!.data[0]).toBe(Math.fround(Math.fround(0.1) * 3))
    })
  })
}
