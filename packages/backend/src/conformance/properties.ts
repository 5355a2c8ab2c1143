import * as fc from 'fast-check'
import { buildOrThrow, type DType, emptyGraph } from '@backprop/graph'
import { describe, it } from 'vitest'
import type { Backend } from '../backend.js'
import { tensor } from '../tensor.js'
import { expectTensor, refOf, runOnce } from './harness.js'
import { type Ref, refAlongAxis, refMap, refReduce, refTranspose } from './reference.js'

// Fixed seeds: the suite must be reproducible, and a failure must show the
// same counterexample on every run.
const settings = { numRuns: 40, seed: 20231023 }

const dtype = fc.constantFrom<DType>('f32', 'f64')
const shape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })

/** A shape and values for it (small integers and halves: exact in both dtypes). */
const valued = (s: readonly number[]): fc.Arbitrary<Ref> =>
  fc
    .array(fc.integer({ min: -8, max: 8 }), { minLength: s.reduce((n, d) => n * d, 1), maxLength: s.reduce((n, d) => n * d, 1) })
    .map((vs) => ({ shape: s, values: vs.map((v) => v / 2) }))

/** Two shapes that broadcast: a full shape and a copy with some axes set to 1 and some leading axes dropped. */
const broadcastPair = shape.chain((full) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.integer({ min: 0, max: full.length }),
      fc.boolean(),
    )
    .map(([ones, drop, swap]) => {
      const other = full.map((d, i) => (ones[i] ? 1 : d)).slice(drop)
      return swap ? ([other, full] as const) : ([full, other] as const)
    }),
)

const binaryRef = {
  add: (x: number, y: number) => x + y,
  sub: (x: number, y: number) => x - y,
  mul: (x: number, y: number) => x * y,
  max: (x: number, y: number) => (x >= y ? x : y),
} as const

// Random shapes reach stride patterns the fixed cases miss.

/**
 * Random shapes for broadcasting binary ops and reductions over any axes
 * against the reference.
 *
 * @internal
 */
export const describeRandomArithmetic = (make: () => Backend): void => {
  describe('random shapes: broadcasting and reductions', () => {
    it('binary ops broadcast like NumPy', async () => {
      await fc.assert(
        fc.asyncProperty(
          broadcastPair.chain(([sa, sb]) => fc.tuple(valued(sa), valued(sb))),
          fc.constantFrom<keyof typeof binaryRef>('add', 'sub', 'mul', 'max'),
          dtype,
          async ([a, b], op, d) => {
            const g = buildOrThrow(emptyGraph, (bb) => bb.binary(op, bb.input('a', a.shape, d), bb.input('b', b.shape, d)))
            const fa = tensor(a.values, a.shape, d)
            const fb = tensor(b.values, b.shape, d)
            const [out] = await runOnce(make(), g.graph, [g.result], { a: fa, b: fb })
            expectTensor(out!, refMap(binaryRef[op], [refOf(fa), refOf(fb)]), d, `${op} [${a.shape}] with [${b.shape}]`)
          },
        ),
        settings,
      )
    })

    it('sum and reduceMax over any set of axes', async () => {
      await fc.assert(
        fc.asyncProperty(
          shape.chain((s) =>
            fc.tuple(valued(s), fc.subarray(s.map((_, i) => i)), fc.boolean(), fc.constantFrom<'sum' | 'max'>('sum', 'max')),
          ),
          dtype,
          async ([x, axes, keepdims, kind], d) => {
            const g = buildOrThrow(emptyGraph, (b) => {
              const v = b.input('x', x.shape, d)
              return kind === 'sum' ? b.sum(v, axes, keepdims) : b.reduceMax(v, axes, keepdims)
            })
            const fx = tensor(x.values, x.shape, d)
            const [out] = await runOnce(make(), g.graph, [g.result], { x: fx })
            expectTensor(out!, refReduce(refOf(fx), kind, axes, keepdims), d, `${kind} [${x.shape}] axes [${axes}]`)
          },
        ),
        settings,
      )
    })
  })
}

/**
 * Random shapes for transposes and the axis ops (softmax, logSumExp)
 * against the reference.
 *
 * @internal
 */
export const describeRandomLayout = (make: () => Backend): void => {
  describe('random shapes: transposes and axis ops', () => {
    it('transpose by any permutation', async () => {
      await fc.assert(
        fc.asyncProperty(
          shape.chain((s) =>
            fc.tuple(
              valued(s),
              fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }),
            ),
          ),
          dtype,
          async ([x, perm], d) => {
            const g = buildOrThrow(emptyGraph, (b) => b.transpose(b.input('x', x.shape, d), perm))
            const fx = tensor(x.values, x.shape, d)
            const [out] = await runOnce(make(), g.graph, [g.result], { x: fx })
            expectTensor(out!, refTranspose(refOf(fx), perm), d, `transpose [${x.shape}] by [${perm}]`)
          },
        ),
        settings,
      )
    })

    it('softmax and logSumExp along any axis', async () => {
      await fc.assert(
        fc.asyncProperty(
          shape
            .filter((s) => s.length > 0)
            .chain((s) => fc.tuple(valued(s), fc.integer({ min: 0, max: s.length - 1 }))),
          dtype,
          async ([x, axis], d) => {
            const g = buildOrThrow(emptyGraph, (b) => {
              const v = b.input('x', x.shape, d)
              return [b.softmax(v, axis), b.logSumExp(v, axis, true)]
            })
            const fx = tensor(x.values, x.shape, d)
            const out = await runOnce(make(), g.graph, g.result, { x: fx })
            expectTensor(out[0]!, refAlongAxis(refOf(fx), 'softmax', axis), d, `softmax [${x.shape}] axis ${axis}`)
            expectTensor(out[1]!, refAlongAxis(refOf(fx), 'logSumExp', axis, true), d, `logSumExp [${x.shape}] axis ${axis}`)
          },
        ),
        settings,
      )
    })
  })
}
