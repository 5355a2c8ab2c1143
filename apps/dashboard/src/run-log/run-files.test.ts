import { parseEventLines, parseRunRecord } from './run-files.js'

describe('parseEventLines', () => {
  it('keeps complete event lines in order', () => {
    const parsed = parseEventLines('{"type":"epoch","epoch":1}\n{"type":"done","epochs":1}\n')
    expect(parsed.lines).toEqual(['{"type":"epoch","epoch":1}', '{"type":"done","epochs":1}'])
    expect(parsed.events.map((e) => e['type'])).toEqual(['epoch', 'done'])
    expect(parsed.torn).toBe(false)
    expect(parsed.problems).toEqual([])
  })

  it('leaves out a last line without its newline, and flags it as torn', () => {
    const parsed = parseEventLines('{"type":"epoch","epoch":1}\n{"type":"epoch","ep')
    expect(parsed.lines).toEqual(['{"type":"epoch","epoch":1}'])
    expect(parsed.torn).toBe(true)
    expect(parsed.problems).toEqual([])
  })

  it('reports complete lines that are not events, by number, and keeps the others', () => {
    const parsed = parseEventLines('{"type":"epoch","epoch":1}\nnot json\n[1,2]\n{"epoch":2}\n{"type":"epoch","epoch":3}\n')
    expect(parsed.events.map((e) => e['epoch'])).toEqual([1, 3])
    expect(parsed.problems).toEqual([
      'events.jsonl line 2 is not a training event',
      'events.jsonl line 3 is not a training event',
      'events.jsonl line 4 is not a training event',
    ])
  })

  it('reads an empty file as no events', () => {
    expect(parseEventLines('')).toEqual({ lines: [], events: [], torn: false, problems: [] })
  })
})

describe('parseRunRecord', () => {
  const good = { id: 'r1', startedAt: '2026-12-02T06:00:00.000Z', source: 'cli', pid: 42, host: 'h', settings: { dataset: 'iris' } }

  it('reads a record whose id is its folder', () => {
    expect(parseRunRecord(JSON.stringify(good), 'r1')).toEqual({ record: good })
  })

  it.each([
    ['{"id":', 'settings.json is not JSON'],
    ['[]', 'settings.json does not hold an object'],
    ['{"id":"r1"}', 'settings.json has no "settings" object'],
    [JSON.stringify({ ...good, id: 'other' }), 'settings.json names the run "other", not its folder "r1"'],
  ])('says what is wrong with %s', (text, problem) => {
    const parsed = parseRunRecord(text, 'r1')
    expect('problem' in parsed && parsed.problem).toMatch(problem)
  })
})
