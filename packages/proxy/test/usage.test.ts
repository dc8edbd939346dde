import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  JsonUsageCollector,
  USAGE_JSON_MAX_BYTES,
  usageFromJson,
  usageFromJsonEnd,
  usageFromSseEvent,
} from '../src/usage.js'

const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }
const tokens = { promptTokens: 3, completionTokens: 4, totalTokens: 7 }

describe('usage', () => {
  it('reads OpenAI-style usage from a JSON answer', () => {
    expect(usageFromJson({ choices: [], usage })).toEqual(tokens)
    expect(usageFromJson({ usage: { prompt_tokens: 5, total_tokens: 5 } })).toEqual({
      promptTokens: 5,
      completionTokens: null,
      totalTokens: 5,
    })
    expect(usageFromJson({ usage: { prompt_tokens: 3, completion_tokens: 4 } })).toEqual(tokens)
  })

  it("reads rerank's tokens", () => {
    expect(usageFromJson({ tokens: { input_tokens: 3, output_tokens: 4 } })).toEqual(tokens)
  })

  it('gives null when there is no usable usage', () => {
    expect(usageFromJson({ usage: null })).toBeNull()
    expect(usageFromJson({ usage: { prompt_tokens: -1, total_tokens: 'x' } })).toBeNull()
    expect(usageFromJson('text')).toBeNull()
  })

  it('finds the usage-only SSE event and usage in other events', () => {
    expect(usageFromSseEvent(Buffer.from(JSON.stringify({ id: 'x', choices: [], usage })))).toEqual(
      {
        usage: tokens,
        usageOnly: true,
      },
    )
    const last = { choices: [{ delta: {}, finish_reason: 'stop' }], usage }
    expect(usageFromSseEvent(Buffer.from(JSON.stringify(last)))).toEqual({
      usage: tokens,
      usageOnly: false,
    })
    expect(usageFromSseEvent(Buffer.from(JSON.stringify({ choices: [], usage: null })))).toBeNull()
    expect(usageFromSseEvent(Buffer.from('[DONE]'))).toBeNull()
    expect(usageFromSseEvent(Buffer.from('{"usage": broken'))).toBeNull()
  })

  it('collects a JSON answer chunk by chunk', () => {
    const collector = new JsonUsageCollector()
    const body = Buffer.from(JSON.stringify({ id: 'a', usage }))
    collector.add(body.subarray(0, 5))
    collector.add(body.subarray(5))
    expect(collector.usage()).toEqual(tokens)
  })

  it('keeps only the tail of a large answer and still finds its usage', () => {
    const collector = new JsonUsageCollector()
    const data = Array.from({ length: 8000 }, (_, index) => ({
      index,
      embedding: Array(40).fill(0.5),
    }))
    const body = Buffer.from(
      JSON.stringify({ data, usage: { ...usage, prompt_tokens_details: { cached_tokens: 0 } } }),
    )
    expect(body.length).toBeGreaterThan(USAGE_JSON_MAX_BYTES)
    for (let offset = 0; offset < body.length; offset += 16 * 1024) {
      collector.add(body.subarray(offset, offset + 16 * 1024))
    }
    expect(collector.usage()).toEqual(tokens)
  })

  it('reads the top-level usage from the end, nested ones and strings ignored', () => {
    const answer = {
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      choices: [{ message: { content: 'quoted: "usage": {"total_tokens": 9} \\', usage }, x: [] }],
      tail: { usage: { total_tokens: 8 } },
      note: '"usage":',
    }
    const bytes = Buffer.from(JSON.stringify(answer, null, 2))
    expect(usageFromJsonEnd(bytes)).toEqual({
      promptTokens: 1,
      completionTokens: 1,
      totalTokens: 2,
    })
    // The last of duplicate members counts, as for JSON.parse; escaped names are names.
    const duplicated = `{"usage":${JSON.stringify(usage)},"id":"a","us\\u0061ge":{"total_tokens":11}}`
    expect(usageFromJsonEnd(Buffer.from(duplicated))).toEqual(usageFromJson(JSON.parse(duplicated)))
    expect(usageFromJsonEnd(Buffer.from('[{"usage":{"total_tokens":1}}]'))).toBeNull()
    expect(usageFromJsonEnd(Buffer.from('"usage"'))).toBeNull()
    expect(usageFromJsonEnd(Buffer.from(''))).toBeNull()
  })

  it('gives what JSON.parse and usageFromJson give, for any document (property)', () => {
    const count = fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(null), fc.string())
    const usageLike = fc.record(
      { prompt_tokens: count, completion_tokens: count, total_tokens: count },
      { requiredKeys: [] },
    )
    const tokensLike = fc.record(
      { input_tokens: count, output_tokens: count },
      { requiredKeys: [] },
    )
    const name = fc.constantFrom('usage', 'tokens', 'id', 'choices', 'usage"', '\\usage', 'u')
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 2 }),
        usageLike,
        tokensLike,
        fc.array(tie('any'), { maxLength: 3 }),
        fc.dictionary(name, tie('any'), { maxKeys: 4 }),
      ),
    })).any
    const member = fc.tuple(name, value)
    const document = fc.array(member, { maxLength: 6 })
    fc.assert(
      fc.property(document, fc.constantFrom(0, 1, '\t'), (members, space) => {
        // Written out member by member so that duplicate names stay in the text.
        const text = `{${members.map(([key, v]) => `${JSON.stringify(key)}:${JSON.stringify(v, null, space)}`).join(', ')}}`
        const expected = usageFromJson(JSON.parse(text))
        expect(usageFromJsonEnd(Buffer.from(` ${text}\n`))).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })
})
