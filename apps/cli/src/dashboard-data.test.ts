import { defaultSettings } from '@backprop/dashboard'
import { loadMnist } from '@backprop/data'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { checkAgainstData, mnistImages } from './dashboard-data.js'

describe('the dashboard checks settings against their data set', () => {
  it('accepts layers that fit', () => {
    expect(checkAgainstData({ ...defaultSettings, dataset: 'iris', layers: [4, 16, 3] })).toEqual({})
    expect(checkAgainstData({ ...defaultSettings, dataset: 'mnist', layers: [784, 10] })).toEqual({})
  })

  it('says next to the layers what mnist needs, with sizes that fit', () => {
    expect(checkAgainstData({ ...defaultSettings, dataset: 'mnist', layers: [4, 8, 3] })).toEqual({
      layers: 'mnist has 784 features and 10 classes: start with 784 and end with 10, e.g. 784,8,10',
    })
  })

  it('refuses an unknown data set next to its field', () => {
    expect(checkAgainstData({ ...defaultSettings, dataset: 'no-such-data' })).toEqual({
      dataset: "'no-such-data' is not mnist, iris or an existing CSV file",
    })
  })
})

describe('MNIST test digits as images', () => {
  it('are the digits of the run\'s own test split, as grey levels', async () => {
    const settings = { dataset: 'mnist', trainSize: 50, testSize: 20, seed: 3 }
    const images = await mnistImages(settings, [0, 7])
    const split = loadMnist({ trainSize: 50, testSize: 20, seed: 3 })
    if (E.isLeft(images) || E.isLeft(split)) throw new Error('cannot load')
    expect(images.right.map((i) => [i.sample, i.width, i.height, i.pixels.length])).toEqual([
      [0, 28, 28, 784],
      [7, 28, 28, 784],
    ])
    const x = split.right.test.x
    for (let p = 0; p < 784; p += 37) expect(images.right[1]!.pixels[p]).toBe(Math.round(255 * x[7 * 784 + p]!))
    expect(images.right[0]!.pixels.some((v) => v > 200)).toBe(true)
  })

  it('are refused for other data sets and for samples past the test set', async () => {
    expect(await mnistImages({ dataset: 'iris' }, [0])).toEqual(E.left('iris has no images'))
    expect(await mnistImages({ dataset: 'mnist', trainSize: 50, testSize: 20, seed: 3 }, [20])).toEqual(
      E.left('the test set has 20 samples, not 21'),
    )
  })
})
