import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { NEVER, Subject } from 'rxjs'
import { sseMessage, streamSse } from './sse.js'

describe('sseMessage', () => {
  it('writes an id line, a data line and the blank line that ends a message', () => {
    expect(sseMessage('{"type":"done"}', '2-9')).toBe('id: 2-9\ndata: {"type":"done"}\n\n')
  })

  it('writes one data line per line, so a newline cannot end the message early', () => {
    expect(sseMessage('a\nb\r\nc')).toBe('data: a\ndata: b\ndata: c\n\n')
  })
})

/** A response whose socket takes `room` writes and then backs up until the test drains it. */
const backedUp = (room: number) => {
  const res = new EventEmitter() as EventEmitter & { written: string[]; room: number; writableNeedDrain: boolean }
  Object.assign(res, {
    written: [] as string[],
    room,
    writableNeedDrain: false,
    writableEnded: false,
    destroyed: false,
    writeHead: () => res,
    write: (text: string) => {
      res.written.push(text)
      res.writableNeedDrain = --res.room <= 0
      return !res.writableNeedDrain
    },
    end: () => Object.assign(res, { writableEnded: true }),
  })
  const drain = (more: number) => {
    res.room = more
    res.writableNeedDrain = false
    res.emit('drain')
  }
  return {
    res,
    drain,
    // A write may carry several messages: each ends with a blank line.
    events: () =>
      res.written
        .filter((t) => !t.startsWith(':'))
        .flatMap((t) => t.split('\n\n'))
        .filter((m) => m !== '')
        .map((m) => m.trim()),
    writes: () => res.written.filter((t) => !t.startsWith(':')).length,
  }
}

describe('streamSse', () => {
  type Item = { readonly name: string; readonly droppable: boolean }
  const encoding = { message: (i: Item) => `${i.name}\n\n`, droppable: (i: Item) => i.droppable }
  const kept = (name: string): Item => ({ name, droppable: false })
  const live = (name: string): Item => ({ name, droppable: true })

  it('holds back what a backed-up socket cannot take and writes it, in order, as it drains', () => {
    const { res, drain, events, writes } = backedUp(3)
    const items = new Subject<Item>()
    streamSse(res as unknown as ServerResponse, items, encoding, NEVER)
    for (const name of ['a', 'b', 'c', 'd', 'e']) items.next(kept(name))
    expect(events()).toEqual(['a', 'b'])
    // What waited goes in one write once the socket drains.
    drain(1)
    expect(events()).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(writes()).toBe(3)
  })

  it('lets a newer droppable item replace the one waiting, never one that must arrive', () => {
    const { res, drain, events } = backedUp(1)
    const items = new Subject<Item>()
    streamSse(res as unknown as ServerResponse, items, encoding, NEVER)
    items.next(kept('epoch1'))
    items.next(live('step1'))
    items.next(live('step2'))
    items.next(kept('epoch2'))
    items.next(live('step3'))
    items.next(live('step4'))
    drain(10)
    expect(events()).toEqual(['epoch1', 'step2', 'epoch2', 'step4'])
  })

  it('writes what waits together at the ticks of the batch interval, losing no kept item', () => {
    vi.useFakeTimers()
    vi.setSystemTime(1_000)
    try {
      const { res, events, writes } = backedUp(100)
      const items = new Subject<Item>()
      streamSse(res as unknown as ServerResponse, items, encoding, NEVER, { batchMs: 50 })
      // A burst waits for the next tick of the clock (1050 ms) and goes in one write.
      vi.advanceTimersByTime(20)
      items.next(kept('epoch1'))
      items.next(live('step1'))
      vi.advanceTimersByTime(29)
      expect(writes()).toBe(0)
      vi.advanceTimersByTime(1)
      expect(events()).toEqual(['epoch1', 'step1'])
      expect(writes()).toBe(1)
      // Until the next tick, items wait; a newer step replaces the older one waiting last in line.
      for (let i = 2; i <= 5; i++) {
        items.next(live(`step${i}`))
        if (i % 2 === 0) items.next(kept(`epoch${i}`))
        vi.advanceTimersByTime(5)
      }
      expect(writes()).toBe(1)
      vi.advanceTimersByTime(30)
      expect(events()).toEqual(['epoch1', 'step1', 'step2', 'epoch2', 'step4', 'epoch4', 'step5'])
      expect(writes()).toBe(2)
    } finally {
      vi.useRealTimers()
    }
  })

  it('writes every client\'s batch at the same tick, whenever its items came', () => {
    vi.useFakeTimers()
    vi.setSystemTime(2_000)
    try {
      const clients = [backedUp(100), backedUp(100)]
      const streams = clients.map(({ res }) => {
        const items = new Subject<Item>()
        streamSse(res as unknown as ServerResponse, items, encoding, NEVER, { batchMs: 100 })
        return items
      })
      vi.advanceTimersByTime(10)
      streams[0]!.next(kept('a'))
      vi.advanceTimersByTime(60)
      streams[1]!.next(kept('b'))
      vi.advanceTimersByTime(29)
      expect(clients.map((c) => c.writes())).toEqual([0, 0])
      vi.advanceTimersByTime(1)
      expect(clients.map((c) => c.events())).toEqual([['a'], ['b']])
    } finally {
      vi.useRealTimers()
    }
  })

  it('ends the response only after everything waiting is written', () => {
    const { res, drain, events } = backedUp(2)
    const items = new Subject<Item>()
    streamSse(res as unknown as ServerResponse, items, encoding, NEVER)
    items.next(kept('a'))
    items.next(kept('b'))
    items.complete()
    expect((res as unknown as ServerResponse).writableEnded).toBe(false)
    drain(5)
    expect(events()).toEqual(['a', 'b'])
    expect((res as unknown as ServerResponse).writableEnded).toBe(true)
  })
})
