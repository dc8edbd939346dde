import OpenAI, { toFile } from 'openai'
import { describe, expect, it } from 'vitest'
import { CHAT, CLIENT_KEY, startProxyApp } from '../helpers/proxy-app.js'

/** The SDK base-URL swap: the official client pointed at the proxy works as with SiliconFlow. */
async function sdk(prefix = '/v1') {
  const proxy = await startProxyApp()
  const client = new OpenAI({ baseURL: `${proxy.url}${prefix}`, apiKey: CLIENT_KEY, maxRetries: 0 })
  return { proxy, client }
}

describe('the openai SDK as the client', () => {
  it('gets a chat completion', async () => {
    const { client } = await sdk()
    const completion = await client.chat.completions.create(CHAT)
    expect(completion.choices[0]?.message.content).toBe('Hello from mock: hi there')
    expect(completion.usage).toEqual({ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 })
  })

  it('streams a chat completion without the usage event it did not ask for', async () => {
    const { client, proxy } = await sdk()
    const stream = await client.chat.completions.create({ ...CHAT, stream: true })
    const chunks = []
    for await (const chunk of stream) chunks.push(chunk)
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')
    expect(text).toBe('Hello from mock: hi there')
    expect(chunks.every((chunk) => chunk.choices.length === 1 && !chunk.usage)).toBe(true)
    // The proxy asked upstream for usage on the client's behalf, and logged it.
    const sent = JSON.parse(proxy.upstream.requests[0]?.body.toString() ?? '{}')
    expect(sent.stream_options).toEqual({ include_usage: true })
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ promptTokens: 2, completionTokens: 5, totalTokens: 7 })
  })

  it('streams a chat completion with the usage event it asked for', async () => {
    const { client } = await sdk()
    const stream = await client.chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 },
    })
  })

  it('creates embeddings', async () => {
    const { client } = await sdk()
    const result = await client.embeddings.create({
      model: 'BAAI/bge-m3',
      input: ['one', 'two'],
      encoding_format: 'float',
    })
    expect(result.data.map((item) => item.index)).toEqual([0, 1])
    expect(result.data[0]?.embedding).toHaveLength(8)
  })

  it('lists models', async () => {
    const { client } = await sdk()
    const ids = (await client.models.list()).data.map((model) => model.id)
    expect(ids).toContain('Qwen/Qwen2.5-7B-Instruct')
  })

  it('downloads speech as binary audio, byte for byte', async () => {
    const { client, proxy } = await sdk()
    const body = { model: 'FunAudioLLM/CosyVoice2-0.5B', voice: 'alloy', input: 'hello' } as const
    const response = await client.audio.speech.create(body)
    expect(response.headers.get('content-type')).toBe('audio/mpeg')
    const audio = Buffer.from(await response.arrayBuffer())
    const direct = await fetch(`${proxy.upstream.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-direct', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(audio.equals(Buffer.from(await direct.arrayBuffer()))).toBe(true)
    expect(audio.length).toBe(64 * 1024)
  })

  it('uploads a file for transcription (multipart), received whole and sent on unchanged', async () => {
    const { client, proxy } = await sdk()
    const file = Buffer.alloc(5000, 7)
    const result = await client.audio.transcriptions.create({
      file: await toFile(file, 'speech.wav'),
      model: 'FunAudioLLM/SenseVoiceSmall',
    })
    expect(result.text).toBe('transcribed speech.wav (5000 bytes)')
    const received = proxy.upstream.requests[0]
    expect(received?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    expect(received?.body.includes(file)).toBe(true)
  })

  it('works on the older /api/proxy prefix', async () => {
    const { client, proxy } = await sdk('/api/proxy')
    const completion = await client.chat.completions.create(CHAT)
    expect(completion.choices[0]?.message.content).toBe('Hello from mock: hi there')
    expect(proxy.upstream.requests[0]?.url).toBe('/v1/chat/completions')
  })
})
