import { describe, expect, it } from 'vitest'
import {
  JsonUsageCollector,
  USAGE_JSON_MAX_BYTES,
  usageFromJson,
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
    expect(usageFromSseEvent(JSON.stringify({ id: 'x', choices: [], usage }))).toEqual({
      usage: tokens,
      usageOnly: true,
    })
    const last = { choices: [{ delta: {}, finish_reason: 'stop' }], usage }
    expect(usageFromSseEvent(JSON.stringify(last))).toEqual({ usage: tokens, usageOnly: false })
    expect(usageFromSseEvent(JSON.stringify({ choices: [], usage: null }))).toBeNull()
    expect(usageFromSseEvent('[DONE]')).toBeNull()
    expect(usageFromSseEvent('{"usage": broken')).toBeNull()
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
})
