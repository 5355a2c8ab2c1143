import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import type { Executable } from './backend.js'
import { isStateful, type ParamStore } from './state.js'

const plain: Executable = {
  feeds: [],
  outputs: [],
  run: () => Promise.resolve(E.right([])),
  dispose: () => Promise.resolve(),
}
const store: ParamStore = { names: ['w'], read: () => E.right({}), write: () => E.right(undefined) }

describe('isStateful', () => {
  it('tells an executable that holds parameters from a plain one', () => {
    expect(isStateful(plain)).toBe(false)
    const held: Executable & { params: ParamStore } = { ...plain, params: store }
    expect(isStateful(held)).toBe(true)
  })

  it('wants a store that can be read and written, not any `params` field', () => {
    expect(isStateful({ ...plain, params: undefined } as Executable)).toBe(false)
    expect(isStateful({ ...plain, params: null } as Executable)).toBe(false)
    expect(isStateful({ ...plain, params: { names: ['w'], read: store.read } } as Executable)).toBe(false)
    expect(isStateful({ ...plain, params: ['w'] } as Executable)).toBe(false)
  })
})
