import { describe, expect, it } from 'vitest'
import { layersOf, nameParams } from './values.js'

describe('nameParams and layersOf', () => {
  it('name per-layer values W1, b1, W2, b2 in layer order', () => {
    const named = nameParams([
      { W: 'w-one', b: 'b-one' },
      { W: 'w-two', b: 'b-two' },
    ])
    expect(named).toEqual({ W1: 'w-one', b1: 'b-one', W2: 'w-two', b2: 'b-two' })
    expect(Object.keys(named)).toEqual(['W1', 'b1', 'W2', 'b2'])
  })

  it('layersOf inverts nameParams, and reports a missing name as undefined', () => {
    const layers = [
      { W: [[1, 2]], b: [3] },
      { W: [[4]], b: [5] },
    ]
    expect(layersOf(nameParams(layers), 2)).toEqual(layers)
    expect(layersOf({ W1: 1, b1: 2, W2: 3 }, 2)).toBeUndefined()
    expect(layersOf({ W1: 1, b1: 2, W2: 3 }, 1)).toEqual([{ W: 1, b: 2 }])
  })
})
