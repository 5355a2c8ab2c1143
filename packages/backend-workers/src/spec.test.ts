import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { parseWorkersSpec } from './spec.js'

describe('parseWorkersSpec', () => {
  it('reads workers and workers:N', () => {
    expect(parseWorkersSpec('workers')).toEqual(E.right({}))
    expect(parseWorkersSpec('workers:4')).toEqual(E.right({ workers: 4 }))
    expect(parseWorkersSpec('workers:1')).toEqual(E.right({ workers: 1 }))
    expect(parseWorkersSpec('workers:256')).toEqual(E.right({ workers: 256 }))
  })

  it('rejects counts that are not integers from 1 to 256, in one line', () => {
    for (const count of ['0', '257', '-1', '1.5', 'two', '', ' 2', '2 ', '1e1']) {
      expect(parseWorkersSpec(`workers:${count}`)).toEqual(
        E.left(`invalid worker count '${count}' in 'workers:${count}': expected an integer from 1 to 256`),
      )
    }
  })

  it('rejects other backend names', () => {
    expect(parseWorkersSpec('cpu')).toEqual(E.left("'cpu' is not a workers backend (expected workers or workers:N)"))
    expect(parseWorkersSpec('workers2')).toEqual(E.left("'workers2' is not a workers backend (expected workers or workers:N)"))
  })
})
