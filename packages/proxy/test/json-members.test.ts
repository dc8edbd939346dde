import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { documentObjectStart, lastMember, objectMembers } from '../src/json-members.js'
import { prepareJsonBody } from '../src/request-body.js'

const CHAT = '/v1/chat/completions'
const sent = (text: string) => {
  const { body, facts } = prepareJsonBody(Buffer.from(text), CHAT)
  return { text: body.kind === 'bytes' ? body.bytes.toString() : '', facts }
}

describe('objectMembers', () => {
  it('finds every member of an object as written, nested values and escapes included', () => {
    const text = ' { "a" : [1, {"x":"}"}] , "b\\u005fc":"q\\"\\\\" ,"a":{"d":null} } '
    const bytes = Buffer.from(text)
    const members = objectMembers(bytes, documentObjectStart(bytes))
    expect(members.map((m) => [m.name, bytes.toString('utf8', m.valueStart, m.valueEnd)])).toEqual([
      ['a', '[1, {"x":"}"}]'],
      ['b_c', '"q\\"\\\\"'],
      ['a', '{"d":null}'],
    ])
    expect(lastMember(members, 'a')?.valueStart).toBe(members[2]?.valueStart)
  })
})

describe('asking for the usage event when stream_options is present', () => {
  it('adds include_usage inside it, every other byte as the client sent it', () => {
    const body =
      '{"model":"m","stream":true,"seed":123456789012345678901234567890,' +
      '"temperature":1e400,"stream_options":{ "chunk" : 2 }}'
    const { text, facts } = sent(body)
    expect(facts).toMatchObject({ injectedUsage: true, clientAskedUsage: false })
    expect(text).toBe(body.replace('{ "chunk"', '{"include_usage":true, "chunk"'))
  })

  it('fills an empty object, sets an include_usage that is not true, replaces a non-object', () => {
    expect(sent('{"stream":true,"stream_options":{}}').text).toBe(
      '{"stream":true,"stream_options":{"include_usage":true}}',
    )
    expect(sent('{"stream":true,"stream_options":{"include_usage":false,"x":1e400}}').text).toBe(
      '{"stream":true,"stream_options":{"include_usage":true,"x":1e400}}',
    )
    expect(sent('{"stream":true,"stream_options":null , "n":1.0}').text).toBe(
      '{"stream":true,"stream_options":{"include_usage":true} , "n":1.0}',
    )
  })

  it('changes the member JSON.parse keeps: the last one written', () => {
    const { text } = sent(
      '{"stream":true,"stream_options":{"include_usage":true},"stream_options":{"include_usage":0}}',
    )
    expect(JSON.parse(text).stream_options).toEqual({ include_usage: true })
    expect(text).toBe(
      '{"stream":true,"stream_options":{"include_usage":true},"stream_options":{"include_usage":true}}',
    )
  })

  it('keeps every byte outside the one change, for any body (property)', () => {
    const value = fc.jsonValue({ maxDepth: 3 })
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 4 }),
        fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 3 }), value),
        fc.constantFrom('', ' ', '\n  '),
        (others, options, space) => {
          const entries = Object.entries(others).filter(
            ([k]) => k !== 'stream' && k !== 'stream_options',
          )
          const parts = [
            ...entries.map(([k, v]) => `${JSON.stringify(k)}:${space}${JSON.stringify(v)}`),
            `"stream":${space}true`,
            `"stream_options":${space}${JSON.stringify(options)}`,
          ]
          const body = `{${space}${parts.join(`,${space}`)}${space}}`
          const { text } = sent(body)
          const parsed = JSON.parse(text)
          expect(parsed.stream_options.include_usage).toBe(true)
          const original = JSON.parse(body)
          expect({ ...parsed, stream_options: undefined }).toEqual({
            ...original,
            stream_options: undefined,
          })
          // Only the stream_options value changed: what precedes and follows it is identical.
          const at = body.lastIndexOf('"stream_options":')
          expect(text.slice(0, at)).toBe(body.slice(0, at))
        },
      ),
      { numRuns: 300, seed: 0x5eed },
    )
  })
})
