import { describe, expect, it } from 'vitest'
import { prepareJsonBody } from '../src/request-body.js'

const CHAT_PATH = '/v1/chat/completions'
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))

describe('prepareJsonBody', () => {
  it('forwards JSON bytes untouched when nothing has to change', () => {
    const original = Buffer.from('{"model":"m", "stream":false,  "n":1.0}')
    const { body, facts } = prepareJsonBody(original, CHAT_PATH)
    expect(body).toEqual({ kind: 'bytes', bytes: original })
    expect(facts).toEqual({
      model: 'm',
      stream: false,
      clientAskedUsage: false,
      injectedUsage: false,
    })
  })

  it('asks for the usage event of streaming chat and completions', () => {
    for (const path of [CHAT_PATH, '/v1/completions?x=1']) {
      const { body, facts } = prepareJsonBody(
        bytes({ model: 'm', stream: true, stream_options: { other: 1 } }),
        path,
      )
      expect(facts).toMatchObject({ stream: true, injectedUsage: true, clientAskedUsage: false })
      expect(body.kind === 'bytes' && JSON.parse(body.bytes.toString())).toEqual({
        model: 'm',
        stream: true,
        stream_options: { other: 1, include_usage: true },
      })
    }
  })

  it('adds the usage request without touching a byte of what the client sent', () => {
    // A seed beyond 2^53 and numbers as written would not survive JSON.parse + stringify.
    const sent = ' {"model":"m", "stream":true,"seed":12345678901234567890,"top_p":1.0,"n":1e0}'
    const { body, facts } = prepareJsonBody(Buffer.from(sent), CHAT_PATH)
    expect(facts.injectedUsage).toBe(true)
    expect(body.kind === 'bytes' && body.bytes.toString()).toBe(
      ' {"stream_options":{"include_usage":true},"model":"m", "stream":true,' +
        '"seed":12345678901234567890,"top_p":1.0,"n":1e0}',
    )
  })

  it('leaves the body alone when the client asked itself, or elsewhere', () => {
    const asked = bytes({ model: 'm', stream: true, stream_options: { include_usage: true } })
    expect(prepareJsonBody(asked, CHAT_PATH)).toMatchObject({
      body: { kind: 'bytes', bytes: asked },
      facts: { clientAskedUsage: true, injectedUsage: false },
    })
    const other = bytes({ model: 'm', stream: true })
    expect(prepareJsonBody(other, '/v1/images/generations').body).toEqual({
      kind: 'bytes',
      bytes: other,
    })
  })

  it('rejects malformed JSON', () => {
    expect(() => prepareJsonBody(Buffer.from('{"a":'), CHAT_PATH)).toThrow(
      expect.objectContaining({ code: 'SFP_INVALID_JSON', statusCode: 400 }),
    )
  })

  it('sends an empty body as none', () => {
    expect(prepareJsonBody(Buffer.alloc(0), CHAT_PATH)).toMatchObject({
      body: { kind: 'none' },
      facts: { model: null, stream: false },
    })
  })

  it('passes JSON that is not an object on as it is', () => {
    expect(prepareJsonBody(Buffer.from('[1,2]'), CHAT_PATH)).toMatchObject({
      body: { kind: 'bytes' },
      facts: { model: null },
    })
  })
})
