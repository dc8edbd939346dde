import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { type MockUpstream, startMockUpstream } from '../../src/upstream/server.js'

let upstream: MockUpstream
afterEach(async () => upstream?.close())

const KEY = 'sk-mock-key-0001'
const auth = { authorization: `Bearer ${KEY}` }

async function post(path: string, body: unknown, key = KEY) {
  return fetch(`${upstream.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

const chat = {
  model: 'Qwen/Qwen2.5-7B-Instruct',
  messages: [{ role: 'user', content: 'hi there' }],
}

describe('mock upstream: normal behaviour', () => {
  it('answers chat completions with usage and a trace id', async () => {
    upstream = await startMockUpstream()
    const response = await post('/v1/chat/completions', chat)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-siliconcloud-trace-id')).toBe('trace-1')
    const body = (await response.json()) as {
      choices: { message: { content: string } }[]
      usage: unknown
    }
    expect(body.choices[0]?.message.content).toBe('Hello from mock: hi there')
    expect(body.usage).toEqual({ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 })
  })

  it('streams SSE, with a usage event only when asked', async () => {
    upstream = await startMockUpstream({ sseIntervalMs: 0 })
    const plain = await (await post('/v1/chat/completions', { ...chat, stream: true })).text()
    expect(plain.endsWith('data: [DONE]\n\n')).toBe(true)
    expect(plain).not.toContain('"usage"')
    const withUsage = await (
      await post('/v1/chat/completions', {
        ...chat,
        stream: true,
        stream_options: { include_usage: true },
      })
    ).text()
    expect(withUsage).toContain('"choices":[],"usage":{"prompt_tokens":2')
  })

  it('answers 400 code 20012 for an unknown model, in SiliconFlow shape', async () => {
    upstream = await startMockUpstream()
    const response = await post('/v1/chat/completions', { ...chat, model: 'nope/nope' })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      code: 20012,
      message: 'Model does not exist. Please check it carefully.',
      data: null,
    })
  })

  it('rejects unknown keys with 401 when accounts are configured', async () => {
    upstream = await startMockUpstream({ accounts: { [KEY]: { totalBalance: '5' } } })
    expect((await post('/v1/chat/completions', chat, 'sk-someone-else')).status).toBe(401)
    expect((await post('/v1/chat/completions', chat)).status).toBe(200)
  })

  it('reports balances as strings and can retire /user/info', async () => {
    upstream = await startMockUpstream({
      accounts: { [KEY]: { balance: '0.88', chargeBalance: '88.00', totalBalance: '88.88' } },
    })
    const info = (await (
      await fetch(`${upstream.url}/v1/user/info`, { headers: auth })
    ).json()) as {
      data: Record<string, unknown>
    }
    expect(info.data).toMatchObject({
      balance: '0.88',
      chargeBalance: '88.00',
      totalBalance: '88.88',
    })
    upstream.setUserInfoMode('gone')
    expect((await fetch(`${upstream.url}/v1/user/info`, { headers: auth })).status).toBe(410)
  })

  it('returns binary audio and parses multipart uploads', async () => {
    upstream = await startMockUpstream({ sseIntervalMs: 0 })
    const audio = await post('/v1/audio/speech', {
      model: 'FunAudioLLM/CosyVoice2-0.5B',
      input: 'hi',
    })
    expect(audio.headers.get('content-type')).toBe('audio/mpeg')
    expect((await audio.arrayBuffer()).byteLength).toBe(64 * 1024)

    const form = new FormData()
    form.append('model', 'FunAudioLLM/SenseVoiceSmall')
    form.append('file', new Blob([new Uint8Array(1000).fill(7)]), 'clip.wav')
    const text = await fetch(`${upstream.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: auth,
      body: form,
    })
    expect(await text.json()).toEqual({ text: 'transcribed clip.wav (1000 bytes)' })
  })
})

describe('mock upstream: scripted faults', () => {
  it('answers a scripted status once, then behaves normally', async () => {
    upstream = await startMockUpstream()
    upstream.script({
      fault: { kind: 'status', status: 503, body: { code: 50508, message: 'busy', data: null } },
    })
    expect((await post('/v1/chat/completions', chat)).status).toBe(503)
    expect((await post('/v1/chat/completions', chat)).status).toBe(200)
  })

  it('resets before headers', async () => {
    upstream = await startMockUpstream()
    upstream.script({ fault: { kind: 'reset-before-headers' } })
    await expect(post('/v1/chat/completions', chat)).rejects.toThrow()
  })

  it('records a client abort while it hangs', async () => {
    upstream = await startMockUpstream()
    upstream.script({ fault: { kind: 'hang' } })
    const req = request(`${upstream.url}/v1/chat/completions`, { method: 'POST', headers: auth })
    req.on('error', () => {})
    req.end(JSON.stringify(chat))
    await upstream.waitForRequest(0)
    req.destroy()
    const ended = await upstream.waitForEnd(0)
    expect(ended.abortedAt).toBeTypeOf('number')
    expect(ended.finishedAt).toBeUndefined()
  })

  it('cuts an SSE stream after a few events', async () => {
    upstream = await startMockUpstream({ sseIntervalMs: 0 })
    upstream.script({ fault: { kind: 'reset-mid-stream', afterEvents: 2 } })
    const response = await post('/v1/chat/completions', { ...chat, stream: true })
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
  })

  it('cuts a JSON body after the given number of bytes (0: headers only)', async () => {
    upstream = await startMockUpstream()
    upstream.script({ fault: { kind: 'reset-mid-stream', afterEvents: 0 } })
    const response = await post('/v1/chat/completions', chat)
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toThrow()
    expect(upstream.requests[0]?.responseBytes).toBe(0)
  })

  it('reports each exchange, in sub-millisecond times, to a watcher until it stops', async () => {
    upstream = await startMockUpstream()
    const seen: { path: string; receivedAt: number; endedAt: number }[] = []
    const stop = upstream.watchExchanges((exchange) => seen.push(exchange))
    await (await post('/v1/chat/completions', chat)).text()
    await (await post('/v1/embeddings', { model: 'BAAI/bge-m3', input: 'x' })).text()
    await new Promise((resolve) => setTimeout(resolve, 20))
    stop()
    await (await post('/v1/chat/completions', chat)).text()
    expect(seen.map((e) => e.path)).toEqual(['/v1/chat/completions', '/v1/embeddings'])
    const [first, second] = seen
    expect(first && first.endedAt >= first.receivedAt).toBe(true)
    expect(first && second && second.receivedAt >= first.endedAt).toBe(true)
  })

  it('stalls a JSON body halfway without closing the connection', async () => {
    upstream = await startMockUpstream()
    upstream.script({ fault: { kind: 'stall-body' } })
    const response = await post('/v1/chat/completions', chat)
    expect(response.status).toBe(200)
    const reader = response.body?.getReader()
    const first = await reader?.read()
    const sent = upstream.requests[0]?.responseBytes ?? 0
    expect(sent).toBeGreaterThan(0)
    expect(first?.value?.byteLength).toBe(sent)
    expect(upstream.requests[0]?.finishedAt).toBeUndefined()
    await reader?.cancel()
  })

  it('writes a large body as fast as the client reads it, counting the bytes', async () => {
    upstream = await startMockUpstream()
    upstream.script({ fault: { kind: 'large-body', bytes: 200_000, contentType: 'audio/wav' } })
    const response = await post('/v1/files/x/content', {})
    expect(response.headers.get('content-type')).toBe('audio/wav')
    expect((await response.arrayBuffer()).byteLength).toBe(200_000)
    expect(upstream.requests[0]?.responseBytes).toBe(200_000)
  })
})

describe('mock upstream: benchmark options', () => {
  it('stamps each SSE event with its send time when asked', async () => {
    upstream = await startMockUpstream({ sseIntervalMs: 0, stampSseEvents: true })
    const before = performance.timeOrigin + performance.now()
    const text = await (await post('/v1/chat/completions', { ...chat, stream: true })).text()
    const blocks = text.split('\n\n').filter(Boolean)
    expect(blocks.length).toBeGreaterThan(3)
    for (const block of blocks) {
      const sentAt = Number(/^: sent_at=([\d.]+)\n/.exec(block)?.[1])
      expect(sentAt).toBeGreaterThanOrEqual(Math.floor(before))
    }
    expect(blocks.at(-1)).toMatch(/\ndata: \[DONE\]$/)
  })

  it('keeps no requests when told not to, answering the same', async () => {
    upstream = await startMockUpstream({ keepRequests: false })
    const response = await post('/v1/chat/completions', chat)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-siliconcloud-trace-id')).toBe('trace-1')
    expect(upstream.requests).toEqual([])
  })
})
