import { Readable } from 'node:stream'
import { explanation } from '@sfp/schemas'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { CHAT, CLIENT_KEY_ID, clientHeaders, startProxyApp } from '../helpers/proxy-app.js'

const json = { 'content-type': 'application/json' }

describe('requests the proxy answers itself', () => {
  it('401 invalid_client_key without or with a wrong client key, no upstream call', async () => {
    const proxy = await startProxyApp()
    for (const headers of [{}, { authorization: 'Bearer sk-wrong-key' }, { 'x-api-key': 'nope' }]) {
      const response = await request(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, ...json },
        body: JSON.stringify(CHAT),
      })
      expect(response.statusCode).toBe(401)
      expect(await response.body.json()).toMatchInlineSnapshot(`
        {
          "error": {
            "code": "invalid_client_key",
            "message": "Missing or unknown client key: send it as "Authorization: Bearer <key>" or "x-api-key"",
            "type": "authentication_error",
          },
        }
      `)
    }
    expect(proxy.upstream.requests).toHaveLength(0)
    const records = await proxy.waitForRecords(3)
    expect(records[0]).toMatchObject({
      status: 401,
      clientKeyId: null,
      path: '/v1/chat/completions',
      attempts: 0,
      errorType: 'invalid_client_key',
    })
  })

  it('accepts the client key as x-api-key', async () => {
    const proxy = await startProxyApp()
    const response = await request(`${proxy.url}/v1/models`, {
      headers: { 'x-api-key': clientHeaders().authorization?.slice(7) ?? '' },
    })
    expect(response.statusCode).toBe(200)
    await response.body.dump()
    const [record] = await proxy.waitForRecords(1)
    expect(record?.clientKeyId).toBe(CLIENT_KEY_ID)
  })

  it('400 invalid_json for a malformed JSON body, no upstream call', async () => {
    const proxy = await startProxyApp()
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: '{"model": "x", ',
    })
    expect(response.statusCode).toBe(400)
    const body = (await response.body.json()) as { error: { code: string; type: string } }
    expect(body.error).toMatchObject({ code: 'invalid_json', type: 'invalid_request_error' })
    expect(proxy.upstream.requests).toHaveLength(0)
    expect(proxy.dispatch.leases).toHaveLength(0)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 400, errorType: 'invalid_json', attempts: 0 })
  })

  it('413 request_too_large for a JSON body over the limit, no upstream call', async () => {
    const proxy = await startProxyApp({ settings: { bodyLimitBytes: 1000 } })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify({ ...CHAT, padding: 'x'.repeat(2000) }),
    })
    expect(response.statusCode).toBe(413)
    const body = (await response.body.json()) as { error: { code: string } }
    expect(body.error.code).toBe('request_too_large')
    expect(proxy.upstream.requests).toHaveLength(0)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 413, errorType: 'request_too_large' })
  })

  it('413 for an upload whose Content-Length is over the limit, no upstream call', async () => {
    const proxy = await startProxyApp({ settings: { bodyLimitBytes: 1000 } })
    const response = await request(`${proxy.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: clientHeaders({ 'content-type': 'multipart/form-data; boundary=x' }),
      body: Buffer.alloc(5000),
    })
    expect(response.statusCode).toBe(413)
    await response.body.dump()
    expect(proxy.upstream.requests).toHaveLength(0)
    expect(proxy.dispatch.leases).toHaveLength(0)
  })

  it('413 for a chunked upload that grows over the limit on its way', async () => {
    const proxy = await startProxyApp({ settings: { bodyLimitBytes: 1000 } })
    async function* chunks() {
      for (let i = 0; i < 10; i += 1) yield Buffer.alloc(500, 1)
    }
    const response = await request(`${proxy.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: clientHeaders({ 'content-type': 'multipart/form-data; boundary=x' }),
      body: Readable.from(chunks()),
    })
    expect(response.statusCode).toBe(413)
    await response.body.dump()
    const [record] = await proxy.waitForRecords(1)
    // Received whole before queueing: no lease was taken, no key heard of it.
    expect(record).toMatchObject({ status: 413, errorType: 'request_too_large', attempts: 0 })
    expect(proxy.dispatch.leases).toHaveLength(0)
    expect(proxy.dispatch.calls).toEqual([])
  })

  it('404 for a path that would leave /v1 once normalised', async () => {
    const proxy = await startProxyApp()
    const response = await request(`${proxy.url}/v1/%2e%2e/admin`, { headers: clientHeaders() })
    expect(response.statusCode).toBe(404)
    await response.body.dump()
    expect(proxy.upstream.requests).toHaveLength(0)
  })

  it('answers dispatch refusals in the error envelope with Retry-After', async () => {
    const proxy = await startProxyApp()
    const { KeySwitchGuard, withRetryAfter } = await import('../helpers/fakes.js')
    // The dispatch's refusals carry why as an explanation (`refusalError`).
    const why = explanation('key_cooling', { keyId: 1, until: null, guardUntil: null })
    proxy.dispatch.refusal = withRetryAfter(
      Object.assign(new KeySwitchGuard('switch refused for 20 minutes'), { explanation: why }),
      1200,
    )
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('1200')
    expect(await response.body.json()).toMatchObject({
      error: {
        message: 'switch refused for 20 minutes',
        type: 'server_error',
        code: 'key_switch_guard',
      },
    })
    expect(proxy.upstream.requests).toHaveLength(0)
    expect(proxy.dispatch.leases).toHaveLength(1)
    expect(proxy.dispatch.inFlight).toBe(0)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({
      status: 503,
      attempts: 0,
      errorType: 'key_switch_guard',
      errorMessage: 'switch refused for 20 minutes',
      errorParams: { why },
    })
  })
})
