import { expect } from 'vitest'

/** The reference README's comparison, for every element: |actual - expected| <= 1e-9 |expected| + 1e-12. */
export const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void => {
  expect(actual.length, what).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!]
    if (!(Math.abs(a - e) <= 1e-9 * Math.abs(e) + 1e-12)) expect.fail(`${what}[${i}]: ${a} != ${e}`)
  }
}
