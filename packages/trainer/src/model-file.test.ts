import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { decodeModelFile, encodeParams } from './checkpoint.js'
import type { ModelDescription } from './model-file.js'

const params = { W1: { shape: [2, 2], dtype: 'f32' as const, data: Float32Array.of(0.5, -1, 2, 0.25) }, b1: { shape: [2], dtype: 'f32' as const, data: Float32Array.of(0, 1) } }
const model: ModelDescription = {
  architecture: { kind: 'layered', sizes: [2, 2], activations: ['softmax'], loss: 'softmax-cross-entropy' },
  dtype: 'f32',
  features: ['a', 'b'],
  classes: ['no', 'yes'],
  scaling: { offset: [1, 2], scale: [0.5, 4] },
  training: { lr: 0.1 },
}

describe('model files', () => {
  it('round-trip the description and the parameters', () => {
    const decoded = decodeModelFile(encodeParams(params, model), 'm.json')
    expect(decoded).toEqual(E.right({ params, model }))
  })

  it.each([
    ['an architecture that does not build', (m: Record<string, unknown>) => ({ ...m, architecture: { kind: 'layered', sizes: [2], activations: [], loss: 'sse' } }), /m\.json: architecture|m\.json: .*layer/],
    ['an unknown architecture kind', (m: Record<string, unknown>) => ({ ...m, architecture: { kind: 'conv' } }), /unknown kind "conv"/],
    ['features that do not fit the inputs', (m: Record<string, unknown>) => ({ ...m, features: ['a'] }), /"features" must list the 2 input features' names/],
    ['classes that do not fit the outputs', (m: Record<string, unknown>) => ({ ...m, classes: ['x', 'y', 'z'] }), /"classes" must list 2 class names/],
    ['a zero scale', (m: Record<string, unknown>) => ({ ...m, scaling: { offset: [0, 0], scale: [1, 0] } }), /"scaling" must hold 2 finite offsets/],
  ])('reject %s, naming the file', (_label, change, message) => {
    const json = change(JSON.parse(encodeParams(params, model)) as Record<string, unknown>)
    const decoded = decodeModelFile(JSON.stringify(json), 'm.json')
    expect(E.isLeft(decoded) && decoded.left.message).toMatch(message)
  })
})
