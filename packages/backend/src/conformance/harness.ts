import * as E from 'fp-ts/lib/Either.js'
import { expect } from 'vitest'
import type { DType, Graph, NodeId } from '@backprop/graph'
import type { Backend, CompileOptions, Executable, Feeds } from '../backend.js'
import type { Tensor } from '../tensor.js'
import { type Ref, unravel } from './reference.js'

/**
 * How far a result may be from the reference: `|actual - expected| <=
 * rtol * max(|expected|, scale) + atol`. For f32 the reference is computed in
 * float64 from the float32 inputs and rounded once, so `rtol` allows a few
 * float32 ulps for kernels that round intermediate steps too.
 *
 * @internal
 */
export const tolerance: { readonly [D in DType]: { readonly rtol: number; readonly atol: number } } = {
  f32: { rtol: 1e-6, atol: 1e-7 },
  f64: { rtol: 1e-12, atol: 1e-14 },
}

/** Both dtypes, for `describe.each`. @internal */
export const dtypes: readonly DType[] = ['f32', 'f64']

/**
 * Compiles `outputs`, hands the executable to `use`, and always disposes it
 * (a backend may hold workers). A compile error fails the test.
 *
 * @internal
 */
export const withExecutable = async <T>(
  backend: Backend,
  graph: Graph,
  outputs: readonly NodeId[],
  use: (exe: Executable) => Promise<T>,
  options?: CompileOptions,
): Promise<T> => {
  const compiled = backend.compile(graph, outputs, options)
  if (E.isLeft(compiled)) throw new Error(`compile failed: ${compiled.left.message}`)
  try {
    return await use(compiled.right)
  } finally {
    await compiled.right.dispose()
  }
}

/** Unwraps a run's result; a `Left` fails the test with its message. @internal */
export const unwrap = <A>(result: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(result)) throw new Error(`run failed: ${result.left.message}`)
  return result.right
}

/** Compiles, runs once on `feeds`, disposes, and returns the outputs. @internal */
export const runOnce = (backend: Backend, graph: Graph, outputs: readonly NodeId[], feeds: Feeds): Promise<readonly Tensor[]> =>
  withExecutable(backend, graph, outputs, async (exe) => unwrap(await exe.run(feeds)))

/** The values of a tensor as a reference value. @internal */
export const refOf = (t: Tensor): Ref => ({ shape: [...t.shape], values: Array.from(t.data) })

/** Whether `actual` is within `allowed` of `expected`, treating NaN and infinities exactly. @internal */
const close = (actual: number, expected: number, allowed: number): boolean => {
  if (Number.isNaN(expected)) return Number.isNaN(actual)
  if (!Number.isFinite(expected)) return actual === expected
  return Math.abs(actual - expected) <= allowed
}

/**
 * Asserts that `actual` has `dtype`, the reference's shape, data of the
 * dtype's array class, and values within {@link tolerance} of the reference
 * (rounded to float32 first for f32). The failure names the first element
 * that is off, by multi-index.
 *
 * @internal
 */
export const expectTensor = (actual: Tensor, expected: Ref, dtype: DType, label: string): void => {
  expect(actual.dtype, `${label}: dtype`).toBe(dtype)
  expect([...actual.shape], `${label}: shape`).toEqual([...expected.shape])
  expect(actual.data, `${label}: data class`).toBeInstanceOf(dtype === 'f32' ? Float32Array : Float64Array)
  expect(actual.data.length, `${label}: number of values`).toBe(expected.values.length)
  const { rtol, atol } = tolerance[dtype]
  for (let i = 0; i < expected.values.length; i++) {
    const e = dtype === 'f32' ? Math.fround(expected.values[i]!) : expected.values[i]!
    const a = actual.data[i]!
    const allowed = rtol * Math.max(Math.abs(e), expected.scale?.[i] ?? 0) + atol
    if (!close(a, e, allowed)) {
      expect.fail(
        `${label}: element [${unravel(i, expected.shape).join(',')}] is ${a}, expected ${e} (within ${allowed.toExponential(1)})`,
      )
    }
  }
}

/**
 * A small deterministic generator of uniform numbers in `[0, 1)` (a linear
 * congruential generator), so that every run of the suite uses the same
 * values.
 *
 * @internal
 */
export const seeded = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** A reference value of `shape` with values uniform in `[lo, hi)`. @internal */
export const uniform = (shape: readonly number[], lo: number, hi: number, seed: number): Ref => {
  const next = seeded(seed)
  const values = Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => lo + (hi - lo) * next())
  return { shape, values }
}

/** A reference value of `shape` with values drawn from `choices` (to make ties and zeros likely). @internal */
export const choose = (shape: readonly number[], choices: readonly number[], seed: number): Ref => {
  const next = seeded(seed)
  const values = Array.from(
    { length: shape.reduce((n, d) => n * d, 1) },
    () => choices[Math.floor(next() * choices.length)]!,
  )
  return { shape, values }
}
