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

  it('quotes a malformed body as the client wrote it, Chinese text included', () => {
    const sent = Buffer.from('{"model":"m","messages":[{"content":"你好，世界"}],}')
    let utf8Message = ''
    try {
      JSON.parse(sent.toString('utf8'))
    } catch (error) {
      utf8Message = (error as Error).message
    }
    expect(utf8Message).not.toBe('')
    expect(() => prepareJsonBody(sent, CHAT_PATH)).toThrow(
      `The request body is not valid JSON: ${utf8Message}`,
    )
  })

  it('reads a body of Chinese text as any other and forwards its bytes as they came', () => {
    const sent = Buffer.from(
      '{"model":"Qwen/Qwen2.5-7B-Instruct","stream":true,' +
        '"messages":[{"role":"user","content":"请用中文回答：「引号」\\n和 \\u4e2d 字"}]}',
    )
    const { body, facts } = prepareJsonBody(sent, CHAT_PATH)
    expect(facts).toEqual({
      model: 'Qwen/Qwen2.5-7B-Instruct',
      stream: true,
      clientAskedUsage: false,
      injectedUsage: true,
    })
    const forwarded = body.kind === 'bytes' ? body.bytes : Buffer.alloc(0)
    expect(forwarded.toString('utf8')).toBe(
      `{${'"stream_options":{"include_usage":true},'}${sent.toString('utf8').slice(1)}`,
    )
  })

  it('reads a model name with non-ASCII characters exactly, written raw or escaped', () => {
    const cases: [string, string][] = [
      ['{"model":"通义千问/模型-é"}', '通义千问/模型-é'],
      ['{"model":"\\u6a21\\u578b-\\u00e9"}', '模型-é'],
      ['{"model":"模型\\u00e9é\\"x"}', '模型éé"x'],
      ['{"model":"ascii","model":"后者"}', '后者'],
      ['{"model":"前者","model":"ascii"}', 'ascii'],
      ['{"model":"😀 \\ud83d\\ude00"}', '😀 😀'],
    ]
    for (const [text, model] of cases) {
      expect(prepareJsonBody(Buffer.from(text), CHAT_PATH).facts.model).toBe(model)
    }
  })

  it('accepts and refuses exactly the bodies a parse of their UTF-8 text does', () => {
    // Bytes read as Latin-1 must parse as the same JSON as their UTF-8 text: mutated documents
    // with Chinese text, escapes and broken UTF-8 next to quotes and backslashes.
    const seeds = [
      '{"model":"模型","stream":true,"messages":[{"content":"中文\\"引号\\\\ é"}]}',
      '{"model":"m","n":-1.5e3,"x":[true,false,null,{"a":"\\u4e2d"}]}',
      ' {"model" : "m\\u00e9" , "stream" : false } ',
    ].map((text) => Buffer.from(text))
    const specials = [0x22, 0x5c, 0x7b, 0x7d, 0x3a, 0x2c, 0x20, 0x00, 0x0a, 0x80, 0xbf, 0xc3]
    const more = [0xe4, 0xed, 0xf0, 0xff, 0x75, 0x30, 0x2d, 0x65, 0x5d]
    const bytesToUse = [...specials, ...more]
    let seed = 20261207
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % below
    }
    const outcome = (parse: () => unknown) => {
      try {
        return { ok: true as const, value: parse() }
      } catch {
        return { ok: false as const }
      }
    }
    let accepted = 0
    for (let round = 0; round < 4000; round += 1) {
      const source = seeds[round % seeds.length] ?? Buffer.alloc(0)
      const mutated = Buffer.from(source)
      for (let edits = 1 + random(3); edits > 0; edits -= 1) {
        mutated[random(mutated.length)] = bytesToUse[random(bytesToUse.length)] ?? 0x20
      }
      const byUtf8 = outcome(() => JSON.parse(mutated.toString('utf8')))
      const ours = outcome(() => prepareJsonBody(mutated, CHAT_PATH))
      expect(ours.ok, mutated.toString('hex')).toBe(byUtf8.ok)
      if (!ours.ok || !byUtf8.ok) continue
      accepted += 1
      const json = byUtf8.value as Record<string, unknown> | null
      const isObject = typeof json === 'object' && json !== null && !Array.isArray(json)
      const model = isObject && typeof json.model === 'string' ? json.model : null
      const stream = isObject && json.stream === true
      expect(ours.value).toMatchObject({ facts: { model, stream } })
    }
    // Enough of the mutations stay valid JSON for the readings to be compared too.
    expect(accepted).toBeGreaterThan(200)
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
