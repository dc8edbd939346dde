import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { shortMessage } from '../src/record.js'
import { KEYS } from './helpers/fakes.js'
import {
  CHAT,
  CLIENT_KEY,
  CLIENT_KEY_ID,
  clientHeaders,
  startProxyApp,
  until,
} from './helpers/proxy-app.js'

const json = { 'content-type': 'application/json' }

describe('the request record', () => {
  it('describes a JSON answer', async () => {
    const proxy = await startProxyApp()
    const before = Date.now()
    const response = await request(`${proxy.url}/v1/chat/completions?x=1`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify(CHAT),
    })
    await response.body.json()
    const [record] = await proxy.waitForRecords(1)
    expect(record).toEqual({
      time: expect.any(Number),
      requestId: response.headers['x-request-id'],
      clientKeyId: CLIENT_KEY_ID,
      upstreamKeyId: 1,
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'Qwen/Qwen2.5-7B-Instruct',
      stream: false,
      status: 200,
      upstreamStatus: 200,
      attempts: 1,
      queueWaitMs: 0,
      ttfbMs: expect.any(Number),
      durationMs: expect.any(Number),
      promptTokens: 2,
      completionTokens: 5,
      totalTokens: 7,
      errorType: null,
      errorMessage: null,
    })
    expect(record?.time).toBeGreaterThanOrEqual(before)
    expect(record?.durationMs).toBeGreaterThanOrEqual(record?.ttfbMs ?? 0)
  })

  it('describes an SSE answer, usage from the usage event', async () => {
    const proxy = await startProxyApp()
    const response = await request(`${proxy.url}/api/proxy/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify({ ...CHAT, stream: true }),
    })
    await response.body.text()
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({
      path: '/v1/chat/completions',
      stream: true,
      status: 200,
      promptTokens: 2,
      completionTokens: 5,
      totalTokens: 7,
      errorType: null,
    })
  })

  it('counts the time spent queued', async () => {
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'delay', ms: 60 } })
    const send = () =>
      request(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: clientHeaders(json),
        body: JSON.stringify(CHAT),
      }).then((response) => response.body.json())
    const first = send()
    await until(() => proxy.dispatch.inFlight === 1)
    await Promise.all([first, send()])
    const records = await proxy.waitForRecords(2)
    expect(records.map((record) => record.queueWaitMs)).toEqual([0, expect.any(Number)])
    expect(records[1]?.queueWaitMs).toBeGreaterThan(20)
  })

  it('never holds a key: upstream messages that echo one are masked', async () => {
    const proxy = await startProxyApp()
    proxy.pool.verdict = () => ({ status: 'active', moveOn: false })
    proxy.upstream.script({
      fault: { kind: 'status', status: 401, body: { message: `Invalid token ${KEYS[0].secret}` } },
    })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(401)
    await response.body.dump()
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 401, upstreamStatus: 401, errorType: 'upstream_error' })
    const serialized = JSON.stringify(record)
    expect(serialized).not.toContain(KEYS[0].secret)
    expect(serialized).not.toContain(CLIENT_KEY)
    expect(record?.errorMessage).toBe('Invalid token sk-ups…0001')
  })

  it('shortens long messages', () => {
    expect(shortMessage('x'.repeat(500))).toHaveLength(300)
    expect(shortMessage(null)).toBeNull()
  })
})
