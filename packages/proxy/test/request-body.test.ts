import { PassThrough } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { prepareBody } from '../src/request-body.js'

const CHAT_PATH = '/v1/chat/completions'
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))

describe('prepareBody', () => {
  it('forwards JSON bytes untouched when nothing has to change', () => {
    const original = Buffer.from('{"model":"m", "stream":false,  "n":1.0}')
    const { body, facts } = prepareBody(original, {}, CHAT_PATH, 1000)
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
      const { body, facts } = prepareBody(
        bytes({ model: 'm', stream: true, stream_options: { other: 1 } }),
        {},
        path,
        1000,
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
    const { body, facts } = prepareBody(Buffer.from(sent), {}, CHAT_PATH, 1000)
    expect(facts.injectedUsage).toBe(true)
    expect(body.kind === 'bytes' && body.bytes.toString()).toBe(
      ' {"stream_options":{"include_usage":true},"model":"m", "stream":true,' +
        '"seed":12345678901234567890,"top_p":1.0,"n":1e0}',
    )
  })

  it('leaves the body alone when the client asked itself, or elsewhere', () => {
    const asked = bytes({ model: 'm', stream: true, stream_options: { include_usage: true } })
    expect(prepareBody(asked, {}, CHAT_PATH, 1000)).toMatchObject({
      body: { kind: 'bytes', bytes: asked },
      facts: { clientAskedUsage: true, injectedUsage: false },
    })
    const other = bytes({ model: 'm', stream: true })
    expect(prepareBody(other, {}, '/v1/images/generations', 1000).body).toEqual({
      kind: 'bytes',
      bytes: other,
    })
  })

  it('rejects malformed JSON', () => {
    expect(() => prepareBody(Buffer.from('{"a":'), {}, CHAT_PATH, 1000)).toThrow(
      expect.objectContaining({ code: 'SFP_INVALID_JSON', statusCode: 400 }),
    )
  })

  it('passes JSON that is not an object on as it is', () => {
    expect(prepareBody(Buffer.from('[1,2]'), {}, CHAT_PATH, 1000)).toMatchObject({
      body: { kind: 'bytes' },
      facts: { model: null },
    })
  })

  it('streams other bodies, counting them against the limit', async () => {
    const source = new PassThrough()
    const { body } = prepareBody(source, { 'content-length': '6' }, '/v1/files', 10)
    if (body.kind !== 'stream') throw new Error('expected a stream')
    expect(body.length).toBe('6')
    expect(body.upload.consumed).toBe(false)
    source.end('abcdef')
    expect((await buffer(body.upload)).toString()).toBe('abcdef')
    expect(body.upload.consumed).toBe(true)
  })

  it('refuses an announced length over the limit, and fails a stream that grows past it', async () => {
    expect(() =>
      prepareBody(new PassThrough(), { 'content-length': '11' }, '/v1/files', 10),
    ).toThrow(expect.objectContaining({ code: 'SFP_REQUEST_TOO_LARGE' }))
    const source = new PassThrough()
    const { body } = prepareBody(source, {}, '/v1/files', 10)
    if (body.kind !== 'stream') throw new Error('expected a stream')
    source.end(Buffer.alloc(20))
    await expect(buffer(body.upload)).rejects.toMatchObject({ code: 'SFP_REQUEST_TOO_LARGE' })
    expect(body.upload.exceeded).toBe(true)
  })
})
