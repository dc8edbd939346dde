import { describe, expect, it } from 'vitest'
import { createSseParser, type SseEvent } from '../../src/api/sse-parser.js'

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = []
  const parser = createSseParser((event) => events.push(event))
  for (const chunk of chunks) parser.push(chunk)
  parser.end()
  return events
}

describe('createSseParser', () => {
  it('reads named events with their data', () => {
    expect(parse(['event: status\ndata: {"a":1}\n\n'])).toEqual([
      { event: 'status', data: '{"a":1}', id: undefined },
    ])
  })

  it('joins events split across chunks at any byte', () => {
    const stream = 'event: status\ndata: {"a":1}\n\nevent: status\ndata: {"a":2}\n\n'
    const oneByOne = parse(stream.split(''))
    expect(oneByOne.map((event) => event.data)).toEqual(['{"a":1}', '{"a":2}'])
  })

  it('accepts CRLF and lone CR line endings, even when CRLF is split between chunks', () => {
    expect(parse(['data: one\r', '\n\r\n', 'data: two\r\r']).map((event) => event.data)).toEqual([
      'one',
      'two',
    ])
  })

  it('joins multi-line data with newlines and keeps the last id', () => {
    expect(parse(['id: 7\ndata: first\ndata: second\n\n'])).toEqual([
      { event: 'message', data: 'first\nsecond', id: '7' },
    ])
  })

  it('ignores comments (keep-alives), unknown fields and events without data', () => {
    expect(parse([': ping\n\nretry: 1000\nfoo: bar\n\nevent: status\n\n'])).toEqual([])
  })

  it('keeps a value without the optional space and strips a leading BOM', () => {
    expect(parse(['\uFEFFdata:x y\n\n'])).toEqual([
      { event: 'message', data: 'x y', id: undefined },
    ])
  })

  it('drops an event that the stream ended before finishing', () => {
    expect(parse(['event: status\ndata: {"half":'])).toEqual([])
  })
})
