import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type SseEvent, SseParser } from '../src/sse-parser.js'

/** Feed `chunks` and collect every event, the end of the stream included. */
function parse(chunks: readonly Buffer[], maxEventBytes?: number): SseEvent[] {
  const parser = new SseParser(maxEventBytes)
  const events = chunks.flatMap((chunk) => parser.feed(chunk))
  return [...events, ...parser.end()]
}

/** Cut `bytes` at the given (sorted, deduplicated) offsets. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point))
    start = point
  }
  return chunks
}

const data = (events: SseEvent[]) => events.map((event) => event.data?.toString('utf8') ?? null)
const raw = (events: SseEvent[]) => Buffer.concat(events.map((event) => event.raw)).toString()

describe('SseParser', () => {
  it('splits events on blank lines and joins multi-line data', () => {
    const events = parse([Buffer.from('data: a\n\ndata: b\ndata: c\n\ndata:d\n\n')])
    expect(data(events)).toEqual(['a', 'b\nc', 'd'])
    expect(events.map((event) => event.raw.toString())).toEqual([
      'data: a\n\n',
      'data: b\ndata: c\n\n',
      'data:d\n\n',
    ])
  })

  it('understands CRLF and CR line ends, and a CRLF split across chunks', () => {
    expect(data(parse([Buffer.from('data: a\r\n\r\ndata: b\r\rdata: c\n\n')]))).toEqual([
      'a',
      'b',
      'c',
    ])
    const events = parse([
      Buffer.from('data: a\r'),
      Buffer.from('\n\r'),
      Buffer.from('\ndata: b\r\n\r\n'),
    ])
    expect(events.map((event) => event.raw.toString())).toEqual([
      'data: a\r\n\r\n',
      'data: b\r\n\r\n',
    ])
  })

  it('keeps comments and other fields in the bytes but not in the data', () => {
    const events = parse([Buffer.from(': ping\n\nevent: x\nid: 1\ndata: y\nretry: 5\n\n')])
    expect(data(events)).toEqual([null, 'y'])
    expect(raw(events)).toBe(': ping\n\nevent: x\nid: 1\ndata: y\nretry: 5\n\n')
  })

  it('reads only fields named exactly data, and strips one space after the colon', () => {
    const text = 'datum: a\ndataa: b\n data: c\ndata:  d\ndata\ndata:e:f\n\n'
    expect(data(parse([Buffer.from(text)]))).toEqual([' d\n\ne:f'])
  })

  it('hands back an unterminated rest at the end, without data', () => {
    const events = parse([Buffer.from('data: a\n\ndata: half')])
    expect(data(events)).toEqual(['a', null])
    expect(events[1]?.raw.toString()).toBe('data: half')
  })

  it('decodes multi-byte characters split across chunks', () => {
    const bytes = Buffer.from('data: 你好\n\n')
    expect(data(parse([bytes.subarray(0, 8), bytes.subarray(8)]))).toEqual(['你好'])
  })

  it('passes an oversized event on in pieces, bytes intact', () => {
    const big = `data: ${'x'.repeat(5000)}\n\ndata: small\n\n`
    const events = parse(split(Buffer.from(big), [100, 2000, 4000]), 1000)
    expect(raw(events)).toBe(big)
    expect(data(events).filter((value) => value !== null)).toEqual(['small'])
  })

  const line = fc.oneof(
    fc
      .string({ unit: 'grapheme', maxLength: 12 })
      .map((text) => `data: ${text.replace(/[\r\n]/g, '')}`),
    fc.constantFrom(': comment', 'event: update', 'id: 42', 'data:', 'data', ''),
  )
  const stream = fc
    .tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\r'))
    .map(([lines, eol]) => Buffer.from(lines.map((text) => `${text}${eol}`).join('')))

  it('any chunking gives the same events and the same bytes (property)', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const whole = parse([bytes])
        const chunked = parse(split(bytes, cuts))
        expect(data(chunked)).toEqual(data(whole))
        expect(raw(chunked)).toBe(bytes.toString())
        expect(raw(whole)).toBe(bytes.toString())
      }),
    )
  })

  it('any chunking keeps the bytes when events are cut into pieces (property)', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        expect(raw(parse(split(bytes, cuts), 16))).toBe(bytes.toString())
      }),
    )
  })
})
