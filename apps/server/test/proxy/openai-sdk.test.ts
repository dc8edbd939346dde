import type { ListLogsResponse } from '@sfp/schemas'
import { toFile } from 'openai'
import { describe, expect, it } from 'vitest'
import { CHAT_MODEL, chatBody, KEY_A, postJson, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, TEST_CLIENT_KEY } from '../helpers/test-app.js'

/** The SDK base-URL swap against the whole server: real pool, dispatch, proxy and request log. */
describe('the openai SDK through the server', () => {
  it('chats, plain and streaming, and every request lands in the log with tokens', async () => {
    const { app, client, upstream } = await startProxyApp()

    const reply = await client.chat.completions.create(chatBody('one two three'))
    expect(reply.choices[0]?.message.content).toBe('Hello from mock: one two three')
    expect(reply.usage).toEqual({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 })

    const stream = await client.chat.completions.create({ ...chatBody('streamed'), stream: true })
    let text = ''
    for await (const chunk of stream) {
      // Without include_usage the client must not see the usage-only event the proxy asked for.
      expect(chunk.usage ?? undefined).toBeUndefined()
      text += chunk.choices[0]?.delta.content ?? ''
    }
    expect(text).toBe('Hello from mock: streamed')

    const withUsage = await client.chat.completions.create({
      ...chatBody('with usage'),
      stream: true,
      stream_options: { include_usage: true },
    })
    const usage = []
    for await (const chunk of withUsage) if (chunk.usage) usage.push(chunk.usage)
    expect(usage).toEqual([{ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 }])

    // Upstream saw the pool's key, never the client key.
    expect(upstream.requests.map((r) => r.key)).toEqual([KEY_A, KEY_A, KEY_A])

    const logs = await app.inject({
      method: 'GET',
      url: '/api/manage/logs',
      headers: { authorization: basicAuth() },
    })
    const items = (logs.json() as ListLogsResponse).items
    expect(items.map((i) => [i.stream, i.status, i.totalTokens, i.upstreamKeyId])).toEqual([
      [true, 200, 7, 1],
      [true, 200, 5, 1],
      [false, 200, 9, 1],
    ])
    for (const item of items) {
      expect(item).toMatchObject({ model: CHAT_MODEL, path: '/v1/chat/completions', attempts: 1 })
      expect(item.durationMs).toBeGreaterThanOrEqual(0)
      expect(item.ttfbMs).not.toBeNull()
    }
  })

  it('sends a streaming body with stream_options to upstream byte for byte but include_usage', async () => {
    const { url, upstream } = await startProxyApp()
    // A seed beyond 2^53 and 1e400 do not survive JSON.parse + JSON.stringify.
    const body =
      `{"model":"${CHAT_MODEL}","messages":[{"role":"user","content":"hi"}],"stream":true,` +
      '"seed":123456789012345678901234567890,"temperature":1e400,"stream_options":{"x":1}}'
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
      body,
    })
    expect(response.status).toBe(200)
    const streamed = await response.text()
    expect(streamed).not.toContain('"usage"')
    expect(upstream.requests[0]?.body.toString()).toBe(
      body.replace('"stream_options":{"x":1}', '"stream_options":{"include_usage":true,"x":1}'),
    )
  })

  it('serves embeddings, models, binary speech and multipart transcription', async () => {
    const { client } = await startProxyApp()
    const embeddings = await client.embeddings.create({ model: 'BAAI/bge-m3', input: ['a', 'bb'] })
    expect(embeddings.data).toHaveLength(2)

    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toContain(CHAT_MODEL)

    const speech = await client.audio.speech.create({
      model: 'FunAudioLLM/CosyVoice2-0.5B',
      input: 'hi',
      voice: 'alloy',
    })
    expect(speech.headers.get('content-type')).toBe('audio/mpeg')
    expect((await speech.arrayBuffer()).byteLength).toBe(64 * 1024)

    const transcription = await client.audio.transcriptions.create({
      model: 'FunAudioLLM/SenseVoiceSmall',
      file: await toFile(Buffer.alloc(5000, 1), 'speech.wav'),
    })
    expect(transcription.text).toBe('transcribed speech.wav (5000 bytes)')
  })

  it('keeps the older /api/proxy/chat/completions route', async () => {
    const { url } = await startProxyApp()
    const response = await postJson(url, '/api/proxy/chat/completions', chatBody('old route'))
    expect(response.status).toBe(200)
    expect(response.headers.get('x-siliconcloud-trace-id')).toBe('trace-1')
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const body = (await response.json()) as { choices: { message: { content: string } }[] }
    expect(body.choices[0]?.message.content).toBe('Hello from mock: old route')
  })

  it('refuses a wrong client key with 401 and never calls upstream', async () => {
    const { url, upstream } = await startProxyApp()
    const response = await fetch(`${url}/v1/models`, {
      headers: { authorization: 'Bearer sk-wrong-client' },
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_client_key' } })
    expect(upstream.requests).toEqual([])
  })
})
