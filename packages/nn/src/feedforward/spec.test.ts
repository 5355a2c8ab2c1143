import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { validateFeedForward } from './spec.js'

const base = {
  inputs: 2,
  units: [
    { activation: 'tanh', in: [1, 2] },
    { activation: 'relu', in: [[1, 0.5], 3] },
    { activation: 'linear', in: [3, 4], bias: 0.1 },
  ],
  outputs: [5],
  loss: 'sse',
}

const message = (spec: unknown): string => {
  const r = validateFeedForward(spec)
  return E.isLeft(r) ? r.left.message : 'valid'
}
const path = (spec: unknown): string => {
  const r = validateFeedForward(spec)
  return E.isLeft(r) && r.left._tag === 'InvalidGraph' ? r.left.path : 'valid'
}

describe('validateFeedForward', () => {
  it('accepts weights given, left out, or mixed, and ignores a case\'s other fields', () => {
    expect(message(base)).toBe('valid')
    expect(message({ ...base, id: 'x', x: [[1, 2]], t: [[0]], expected: {} })).toBe('valid')
  })

  it('names the unit of an edge from itself, from a later unit, or around a cycle', () => {
    const self = { ...base, units: [{ activation: 'tanh', in: [3] }, ...base.units.slice(1)] }
    expect(message(self)).toBe('net: unit 3 takes its own output as input (a cycle)')
    expect(path(self)).toBe('units[0].in[0]')
    // unit 3 <- unit 4 <- unit 3
    const cycle = { ...base, units: [{ activation: 'tanh', in: [1, 4] }, ...base.units.slice(1)] }
    expect(message(cycle)).toBe('net: unit 3 takes input from unit 4, which depends on unit 3 (a cycle)')
    // unit 3 <- unit 4, which does not depend on unit 3: only the order is wrong
    const later = {
      ...base,
      units: [{ activation: 'tanh', in: [1, 4] }, { activation: 'relu', in: [1] }, base.units[2]],
    }
    expect(message(later)).toBe('net: unit 3 takes input from unit 4, a later unit; units must be listed in topological order, sources first')
    const beyond = { ...base, units: [...base.units.slice(0, 2), { activation: 'linear', in: [9] }] }
    expect(message(beyond)).toBe('net: unit 5 takes input from unit 9, but the network has units 1..5 (2 inputs, 3 units)')
  })

  it('names the unit with an unknown activation', () => {
    const spec = { ...base, units: [base.units[0], { activation: 'sigmoid', in: [3] }, base.units[2]] }
    expect(message(spec)).toBe("net: unit 4: unknown activation \"sigmoid\"; expected one of linear, logsig, tanh, relu, softmax")
    expect(path(spec)).toBe('units[1].activation')
  })

  it('allows softmax on all outputs only', () => {
    const two = {
      inputs: 1,
      units: [{ activation: 'tanh', in: [1] }, { activation: 'softmax', in: [2] }, { activation: 'softmax', in: [1, 2] }],
      outputs: [3, 4],
      loss: 'softmax-cross-entropy',
    }
    expect(message(two)).toBe('valid')
    const some = { ...two, units: [two.units[0], two.units[1], { activation: 'logsig', in: [1, 2] }] }
    expect(message(some)).toBe('net: unit 4 is an output with activation logsig while unit 3 is softmax; softmax applies to all outputs at once')
    const hidden = { ...two, units: [{ activation: 'softmax', in: [1] }, ...two.units.slice(1)] }
    expect(message(hidden)).toBe('net: unit 2 is softmax but not an output; softmax is for the output units only, all of them at once')
    const alone = { ...two, units: [two.units[0], { activation: 'softmax', in: [2] }], outputs: [3] }
    expect(message(alone)).toBe('net: unit 3 is a softmax output on its own; a softmax needs at least 2 outputs')
  })

  it('refuses an output unit that feeds another unit', () => {
    expect(message({ ...base, outputs: [4, 5] })).toBe('net: unit 4 is an output but feeds unit 5; output units feed no other unit')
  })

  it('refuses malformed fields with the unit and the field named', () => {
    expect(message({ ...base, inputs: 0 })).toBe('net: inputs is 0; it must be a positive integer')
    expect(message({ ...base, units: [] })).toBe('net: units must be a non-empty array of units')
    expect(message({ ...base, units: [{ activation: 'tanh', in: [[1, 'a']] }] })).toMatch(/^net: unit 3: an entry of "in" is \[1,"a"\]/)
    expect(message({ ...base, units: [{ activation: 'tanh', in: [0] }] })).toMatch(/^net: unit 3: an entry of "in" names source 0/)
    expect(message({ ...base, units: [{ activation: 'tanh', in: [1, 1] }] })).toBe('net: unit 3 lists source 1 twice')
    expect(message({ ...base, units: [{ activation: 'tanh', in: [1], bias: 'x' }] })).toBe('net: unit 3: bias is "x"; it must be a finite number')
    expect(message({ ...base, outputs: [2] })).toBe('net: output 2 is not a unit; outputs are unit numbers 3..5')
    expect(message({ ...base, outputs: [5, 5] })).toBe('net: unit 5 is listed twice in outputs')
    expect(message({ ...base, loss: 'mse' })).toBe('net: unknown loss "mse"; expected one of sse, cross-entropy, softmax-cross-entropy')
    expect(message([1, 2])).toMatch(/^net: a network spec must be a JSON object/)
  })
})
