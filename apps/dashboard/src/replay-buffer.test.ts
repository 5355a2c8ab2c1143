import type { TrainEvent } from '@backprop/trainer'
import { replayBuffer } from './replay-buffer.js'
import { runEvents } from './testing/events.js'

const fill = (events: readonly TrainEvent[], limits: Parameters<typeof replayBuffer>[0] = {}) => {
  const buffer = replayBuffer(limits)
  events.forEach((event, i) => buffer.add({ run: 1, seq: i + 1, event }))
  return buffer
}

describe('replayBuffer', () => {
  it('keeps a short run whole, in order', () => {
    const events = runEvents(3, 4)
    expect(fill(events).entries().map((e) => e.event)).toEqual(events)
  })

  it('keeps every epoch event and the done event of a long run, and a bounded sample of its steps', () => {
    const events = runEvents(50, 100)
    const kept = fill(events, { steps: 64 }).entries()
    const types = kept.map((e) => e.event.type)
    expect(types.filter((t) => t === 'epoch')).toHaveLength(50)
    expect(types[types.length - 1]).toBe('done')
    const steps = types.filter((t) => t === 'step').length
    expect(steps).toBeGreaterThanOrEqual(32)
    expect(steps).toBeLessThanOrEqual(65)
    // Still in the order they happened.
    const seqs = kept.map((e) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  })

  it('thins epoch events too past their limit, keeping the first and the latest', () => {
    const events = runEvents(100, 1)
    const epochs = fill(events, { epochs: 10 })
      .entries()
      .flatMap((e) => (e.event.type === 'epoch' ? [e.event.epoch] : []))
    expect(epochs.length).toBeLessThanOrEqual(11)
    expect(epochs[0]).toBe(1)
    expect(epochs[epochs.length - 1]).toBe(100)
  })

  it('gives what came after a given event', () => {
    const events = runEvents(2, 2)
    expect(fill(events).entries(4).map((e) => e.seq)).toEqual([5, 6, 7])
  })
})
