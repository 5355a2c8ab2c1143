import { cpuBackend } from '@backprop/backend-cpu'
import type { Dataset } from '@backprop/data'
import { layered } from '@backprop/nn'
import * as E from 'fp-ts/lib/Either.js'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { evaluateModel, mistakesKept } from './evaluate.js'
import type { EpochEvent } from './events.js'
import { tallyPredictions } from './feeds.js'
import { sgd } from './optimizers/sgd.js'
import type { Params } from './params.js'
import { train } from './train.js'

/** Three classes; the model below predicts the arg-max of the three features. */
const rows: readonly [x: readonly number[], actual: number][] = [
  [[1, 0, 0], 0],
  [[0, 1, 0], 0], // predicted 1
  [[0, 0, 1], 0], // predicted 2
  [[0, 1, 0], 1],
  [[0, 2, 1], 1],
  [[3, 0, 1], 1], // predicted 0
  [[0, 0, 1], 2],
]
const threeClasses: Dataset = {
  name: 'three',
  size: rows.length,
  features: 3,
  targets: 3,
  x: Float64Array.from(rows.flatMap(([x]) => x)),
  t: Float64Array.from(rows.flatMap(([, c]) => [0, 1, 2].map((k) => (k === c ? 1 : 0)))),
  classes: ['a', 'b', 'c'],
}
const model = (batch: number) => layered({ sizes: [3, 3], activations: ['softmax'], loss: 'softmax-cross-entropy', batch })
/** The identity map: softmax(x), whose arg-max is that of x. */
const identity: Params = {
  W1: { shape: [3, 3], dtype: 'f64', data: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) },
  b1: { shape: [3], dtype: 'f64', data: new Float64Array(3) },
}

describe('tallyPredictions', () => {
  it('counts by true class and arg-max prediction, and names the misses', () => {
    const confusion = [
      [0, 0],
      [0, 0],
    ]
    const misses: number[][] = []
    const correct = tallyPredictions([0.9, 0.1, 0.2, 0.8, 0.7, 0.3], [1, 0, 0, 1, 0, 1], 3, 2, confusion, (...m) => misses.push(m))
    expect(correct).toBe(2)
    expect(confusion).toEqual([
      [1, 0],
      [1, 1],
    ])
    expect(misses).toEqual([[2, 1, 0]])
  })

  it('splits a single output at 0.5 into two classes', () => {
    const confusion = [
      [0, 0],
      [0, 0],
    ]
    expect(tallyPredictions([0.2, 0.6, 0.5, 0.4], [0, 1, 0, 1], 4, 1, confusion)).toBe(2)
    expect(confusion).toEqual([
      [1, 1],
      [1, 1],
    ])
  })
})

describe('the confusion matrix of an evaluation', () => {
  it('counts each test sample once, by true class (row) and predicted class (column)', async () => {
    // In chunks of 2, so that sample positions must carry across chunks.
    const result = await evaluateModel({ model, backend: cpuBackend(), data: threeClasses, params: identity, batchSize: 2 })
    if (E.isLeft(result)) throw new Error(result.left.message)
    expect(result.right.confusion).toEqual([
      [1, 1, 1],
      [1, 2, 0],
      [0, 0, 1],
    ])
    expect(result.right.accuracy).toBeCloseTo(4 / 7, 14)
    expect(result.right.misclassified).toEqual([
      { sample: 1, actual: 0, predicted: 1 },
      { sample: 2, actual: 0, predicted: 2 },
      { sample: 5, actual: 1, predicted: 0 },
    ])
  })

  it('is left out for regression', async () => {
    const { classes: _, ...regression } = threeClasses
    const result = await evaluateModel({ model, backend: cpuBackend(), data: regression, params: identity })
    expect(E.isRight(result) && result.right).toMatchObject({ accuracy: null, confusion: null, misclassified: [] })
  })

  it('rides on every epoch event of a classifier, agreeing with its accuracy, and names at most a strip of mistakes', async () => {
    const many: Dataset = {
      ...threeClasses,
      size: rows.length * 4,
      x: Float64Array.from([0, 1, 2, 3].flatMap(() => [...threeClasses.x])),
      t: Float64Array.from([0, 1, 2, 3].flatMap(() => [...threeClasses.t])),
    }
    const events = await lastValueFrom(
      train({ model, backend: cpuBackend(), data: many, test: many, params: identity, optimizer: sgd({ lr: 1e-9 }), epochs: 2, batchSize: 5 }).pipe(
        toArray(),
      ),
    )
    const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch')
    expect(epochs).toHaveLength(2)
    for (const epoch of epochs) {
      const confusion = epoch.confusion!
      expect(confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([12, 12, 4])
      expect(confusion.reduce((sum, row, i) => sum + row[i]!, 0) / many.size).toBeCloseTo(epoch.testAccuracy!, 14)
      expect(epoch.misclassified).toHaveLength(Math.min(mistakesKept, 12))
      expect(JSON.parse(JSON.stringify(epoch))).toHaveProperty('confusion')
    }
  })
})
