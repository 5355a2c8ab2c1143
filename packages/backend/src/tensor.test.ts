import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { allocate, cloneTensor, fromNested, isDataOf, scalarTensor, tensor, toNested } from './tensor.js'

describe('tensor', () => {
  it('copies the values into data of the dtype', () => {
    const values = [1, 2, 3, 4, 5, 6]
    const t = tensor(values, [2, 3])
    expect(t.dtype).toBe('f64')
    expect(t.data).toBeInstanceOf(Float64Array)
    expect(Array.from(t.data)).toEqual(values)
    values[0] = 99
    expect(t.data[0]).toBe(1)
  })

  it('rounds f32 values to float32', () => {
    const t = tensor([0.1, 1 / 3], [2], 'f32')
    expect(t.data).toBeInstanceOf(Float32Array)
    expect(Array.from(t.data)).toEqual([Math.fround(0.1), Math.fround(1 / 3)])
  })

  it('does not share a typed array it is given', () => {
    const source = new Float64Array([1, 2])
    const t = tensor(source, [2])
    source[0] = 5
    expect(t.data[0]).toBe(1)
  })

  it('throws when the values do not fill the shape or the shape is invalid', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow('3 values do not fill shape [2,2]')
    expect(() => tensor([], [-1])).toThrow('invalid shape [-1]')
    expect(() => tensor([1], [0.5])).toThrow('invalid shape')
  })

  it('makes scalars of shape []', () => {
    const s = scalarTensor(2.5, 'f32')
    expect(s.shape).toEqual([])
    expect(s.dtype).toBe('f32')
    expect(Array.from(s.data)).toEqual([2.5])
  })

  it('clones into separate data', () => {
    const t = tensor([1, 2], [2])
    const c = cloneTensor(t)
    c.data[0] = 7
    expect(t.data[0]).toBe(1)
    expect(c.shape).toEqual([2])
  })

  it('allocates zero-filled data of the dtype and recognises it', () => {
    expect(allocate('f32', 3)).toEqual(new Float32Array(3))
    expect(isDataOf(allocate('f64', 1), 'f64')).toBe(true)
    expect(isDataOf(allocate('f64', 1), 'f32')).toBe(false)
  })
})

describe('toNested and fromNested', () => {
  it('nest row-major values by the shape', () => {
    expect(toNested(tensor([1, 2, 3, 4, 5, 6], [2, 3]))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(toNested(tensor([1, 2, 3, 4], [2, 1, 2]))).toEqual([[[1, 2]], [[3, 4]]])
    expect(toNested(scalarTensor(3))).toBe(3)
    expect(toNested(tensor([], [2, 0]))).toEqual([[], []])
  })

  it('reads nested arrays with the shape of their nesting', () => {
    const t = fromNested([[[1], [2]], [[3], [4]]], 'f32')
    expect(E.isRight(t) && [t.right.shape, t.right.dtype, Array.from(t.right.data)]).toEqual([[2, 2, 1], 'f32', [1, 2, 3, 4]])
    const s = fromNested(7)
    expect(E.isRight(s) && [s.right.shape, Array.from(s.right.data)]).toEqual([[], [7]])
    const empty = fromNested([])
    expect(E.isRight(empty) && empty.right.shape).toEqual([0])
  })

  it('reports ragged nesting and non-numbers with their position', () => {
    const ragged = fromNested([[1, 2, 3], [4, 5]])
    expect(E.isLeft(ragged) && ragged.left).toEqual({
      _tag: 'BadTensor',
      message: 'ragged nested array at [1]: expected 3 entries, got 2',
    })
    const deep = fromNested([[1, 2], [3, [4]]])
    expect(E.isLeft(deep) && deep.left.message).toBe('expected a number at [1,1] of a nested array, got an array')
    const text = fromNested([['a']])
    expect(E.isLeft(text) && text.left.message).toBe('expected a number at [0,0] of a nested array, got string')
    const flat = fromNested([[1], 2])
    expect(E.isLeft(flat) && flat.left.message).toBe('ragged nested array at [1]: expected an array of 1 entries, got number')
  })

  it('round-trip any tensor', () => {
    const shaped = fc
      .array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 })
      .chain((shape) => {
        const size = shape.reduce((n, d) => n * d, 1)
        return fc.tuple(fc.constant(shape), fc.array(fc.double({ noNaN: true }), { minLength: size, maxLength: size }))
      })
    fc.assert(
      fc.property(shaped, ([shape, values]) => {
        const back = fromNested(toNested(tensor(values, shape)))
        // A tensor with a zero extent loses the extents after it: [] cannot say how long its rows would be.
        if (shape.includes(0)) return E.isRight(back) && back.right.data.length === 0
        return E.isRight(back) && back.right.shape.join() === shape.join() && Array.from(back.right.data).every((v, i) => Object.is(v, values[i]))
      }),
      { seed: 42 },
    )
  })
})
