import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { initParams } from './init.js'
import { layered } from './layered.js'
import { isMatched, type LayeredSpec, validateSpec } from './spec.js'

const ok: LayeredSpec = { sizes: [2, 3, 2], activations: ['tanh', 'softmax'], loss: 'softmax-cross-entropy', batch: 4 }

const messageOf = (spec: LayeredSpec): string => {
  const result = layered(spec)
  if (E.isRight(result)) throw new Error('expected a Left')
  return result.left.message
}

describe('validateSpec', () => {
  it('fills in the defaults', () => {
    expect(validateSpec(ok)).toEqual(E.right({ ...ok, reduction: 'sum', dtype: 'f64' }))
  })

  it.each<[string, Partial<LayeredSpec>, string, string]>([
    ['too few sizes', { sizes: [2], activations: [] }, 'sizes', 'layered: sizes must list the input width and at least one layer, e.g. [2, 3, 1]'],
    ['a zero size', { sizes: [2, 0, 2] }, 'sizes[1]', 'layered: sizes[1] is 0; sizes must be positive integers'],
    ['a fractional size', { sizes: [2.5, 3, 2] }, 'sizes[0]', 'layered: sizes[0] is 2.5; sizes must be positive integers'],
    ['too few activations', { activations: ['softmax'] }, 'activations', 'layered: sizes [2,3,2] describe 2 layer(s) but 1 activation(s) are given'],
    [
      'an unknown activation',
      { activations: ['sigmoid' as never, 'softmax'] },
      'activations[0]',
      "layered: unknown activation 'sigmoid' for layer 1; expected one of linear, logsig, tanh, relu, softmax",
    ],
    ['a hidden softmax', { activations: ['softmax', 'softmax'] }, 'activations[0]', 'layered: softmax is allowed on the last layer only, not on layer 1'],
    ['a softmax with one unit', { sizes: [2, 3, 1] }, 'sizes[2]', 'layered: a softmax output needs at least 2 units, got 1'],
    [
      'an unknown loss',
      { loss: 'mse' as never },
      'loss',
      "layered: unknown loss 'mse'; expected one of sse, cross-entropy, softmax-cross-entropy",
    ],
    ['an unknown reduction', { reduction: 'avg' as never }, 'reduction', "layered: unknown reduction 'avg'; expected sum or mean"],
    ['a zero batch', { batch: 0 }, 'batch', 'layered: batch is 0; it must be a positive integer'],
    ['an unknown dtype', { dtype: 'f16' as never }, 'dtype', "layered: unknown dtype 'f16'; expected f32 or f64"],
  ])('rejects %s with a one-line message naming the field', (_, change, path, message) => {
    const result = validateSpec({ ...ok, ...change })
    expect(result).toEqual(E.left({ _tag: 'InvalidGraph', path, message }))
    expect(messageOf({ ...ok, ...change })).toBe(message)
    expect(message).not.toContain('\n')
  })

  it('accepts every activation on the last layer and sizes of 1', () => {
    for (const h of ['linear', 'logsig', 'tanh', 'relu'] as const) {
      expect(E.isRight(validateSpec({ sizes: [1, 1, 1], activations: ['relu', h], loss: 'sse', batch: 1 }))).toBe(true)
    }
  })

  it('initParams checks the layers the same way', () => {
    const result = initParams({ sizes: [2, 3], activations: ['tanh', 'linear'] }, { seed: 1 })
    expect(result).toEqual(
      E.left({
        _tag: 'InvalidGraph',
        path: 'activations',
        message: 'initParams: sizes [2,3] describe 1 layer(s) but 2 activation(s) are given',
      }),
    )
  })
})

describe('isMatched', () => {
  it('knows exactly the three pairs whose output error is y - t', () => {
    const pairs = (['linear', 'logsig', 'tanh', 'relu', 'softmax'] as const).flatMap((h) =>
      (['sse', 'cross-entropy', 'softmax-cross-entropy'] as const).filter((l) => isMatched(h, l)).map((l) => `${h}+${l}`),
    )
    expect(pairs).toEqual(['linear+sse', 'logsig+cross-entropy', 'softmax+softmax-cross-entropy'])
  })
})
