import { sseMessage } from './sse.js'

describe('sseMessage', () => {
  it('writes an id line, a data line and the blank line that ends a message', () => {
    expect(sseMessage('{"type":"done"}', '2-9')).toBe('id: 2-9\ndata: {"type":"done"}\n\n')
  })

  it('writes one data line per line, so a newline cannot end the message early', () => {
    expect(sseMessage('a\nb\r\nc')).toBe('data: a\ndata: b\ndata: c\n\n')
  })
})
