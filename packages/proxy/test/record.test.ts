import { Agent, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { shortMessage } from '../src/record.js'
import { KEYS } from './helpers/fakes.js'
import {
  CHAT,
  CLIENT_KEY,
  CLIENT_KEY_ID,
  clientHeaders,
  startProxyApp,
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
      egressId: 1,
      clientIp: '127.0.0.1',
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
      errorParams: null,
      cost: null,
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

  it('takes the time spent queued from the lease', async () => {
    const proxy = await startProxyApp()
    proxy.dispatch.waitedMs = 42.4
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify(CHAT),
    })
    await response.body.json()
    const [record] = await proxy.waitForRecords(1)
    expect(record?.queueWaitMs).toBe(42)
  })

  it('names the lane of the last attempt and the client address', async () => {
    const proxy = await startProxyApp({
      lanes: [
        { id: 4, dispatcher: new Agent(), blockCodes: [50603] },
        { id: 9, dispatcher: new Agent() },
      ],
    })
    const blocked = { code: 50603, message: 'System is really busy.', data: null }
    proxy.upstream.script({ fault: { kind: 'status', status: 503, body: blocked } })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders({ ...json, 'x-forwarded-for': '203.0.113.9' }),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(200)
    await response.body.dump()
    const [record] = await proxy.waitForRecords(1)
    // Without TRUST_PROXY a forwarded-for header is not believed: the socket's address is.
    expect(record).toMatchObject({ egressId: 9, clientIp: '127.0.0.1', attempts: 2 })
  })

  it('behind a trusted reverse proxy, the address it reported', async () => {
    const proxy = await startProxyApp({ trustProxy: true })
    const response = await request(`${proxy.url}/v1/models`, {
      headers: clientHeaders({ 'x-forwarded-for': '203.0.113.9' }),
    })
    await response.body.dump()
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, egressId: 1, clientIp: '203.0.113.9' })
  })

  it('names the client address on answers given before forwarding', async () => {
    const proxy = await startProxyApp()
    const response = await request(`${proxy.url}/v1/models`)
    expect(response.statusCode).toBe(401)
    await response.body.dump()
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 401, egressId: null, clientIp: '127.0.0.1' })
  })

  it('never holds a key: upstream messages that echo one are masked', async () => {
    const proxy = await startProxyApp()
    proxy.dispatch.verdict = () => ({ status: 'active', moveOn: false })
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
    // As the client saw it: masked at the key's own length.
    const key = KEYS[0].secret
    expect(record?.errorMessage).toBe(
      `Invalid token ${key.slice(0, 6)}${'*'.repeat(key.length - 10)}${key.slice(-4)}`,
    )
  })

  it('shortens long messages', () => {
    expect(shortMessage('x'.repeat(500))).toHaveLength(300)
    expect(shortMessage(null)).toBeNull()
  })
})
