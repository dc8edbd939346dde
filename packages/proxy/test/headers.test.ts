import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import {
  clientResponseHeaders,
  presentedClientKey,
  upstreamRequestHeaders,
} from '../src/headers.js'
import { KEYS } from './helpers/fakes.js'
import { CHAT, CLIENT_KEY, clientHeaders, startProxyApp } from './helpers/proxy-app.js'

describe('header rules', () => {
  it('reads the client key from Bearer, else x-api-key', () => {
    expect(presentedClientKey({ authorization: 'Bearer abc' })).toBe('abc')
    expect(presentedClientKey({ authorization: 'bearer  abc ' })).toBe('abc')
    expect(presentedClientKey({ 'x-api-key': 'xyz' })).toBe('xyz')
    expect(presentedClientKey({ authorization: 'Basic abc', 'x-api-key': 'xyz' })).toBe('xyz')
    expect(presentedClientKey({ authorization: 'Bearer ' })).toBeUndefined()
    expect(presentedClientKey({})).toBeUndefined()
  })

  it('sends upstream only content-type, accept and the upstream key', () => {
    const headers = upstreamRequestHeaders(
      {
        authorization: 'Bearer client',
        'x-api-key': 'client',
        cookie: 'a=b',
        connection: 'keep-alive',
        'accept-encoding': 'gzip',
        'x-forwarded-for': '10.0.0.1',
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      'sk-upstream',
    )
    expect(headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: 'Bearer sk-upstream',
    })
  })

  it('returns status-related headers; content-length only for unchanged bodies', () => {
    const upstream = {
      'content-type': 'text/event-stream',
      'content-length': '12',
      'x-siliconcloud-trace-id': 't-1',
      'retry-after': '3',
      'content-disposition': 'attachment; filename="a.mp3"',
      'set-cookie': ['s=1'],
      server: 'nginx',
      connection: 'keep-alive',
    }
    expect(clientResponseHeaders(upstream, false)).toEqual({
      'content-type': 'text/event-stream',
      'x-siliconcloud-trace-id': 't-1',
      'retry-after': '3',
      'content-disposition': 'attachment; filename="a.mp3"',
    })
    expect(clientResponseHeaders(upstream, true)['content-length']).toBe('12')
  })

  it('through the proxy: what reaches upstream and what comes back', async () => {
    const proxy = await startProxyApp()
    const response = await request(`${proxy.url}/v1/chat/completions?trace=1&x=%20y`, {
      method: 'POST',
      headers: {
        ...clientHeaders(),
        'x-api-key': CLIENT_KEY,
        cookie: 'session=secret',
        'accept-encoding': 'gzip, br',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'proxy-authorization': 'Basic abc',
        'user-agent': 'OpenAI/JS 6',
        'x-stainless-os': 'Linux',
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(200)
    const received = proxy.upstream.requests[0]
    expect(received?.method).toBe('POST')
    expect(received?.url).toBe('/v1/chat/completions?trace=1&x=%20y')
    expect(received?.key).toBe(KEYS[0].secret)
    const { host, 'content-length': length, ...rest } = received?.headers ?? {}
    expect(host).toBeDefined()
    expect(Number(length)).toBe(Buffer.byteLength(JSON.stringify(CHAT)))
    expect(rest).toEqual({
      authorization: `Bearer ${KEYS[0].secret}`,
      'content-type': 'application/json',
      accept: 'application/json',
      connection: 'keep-alive',
    })
    // Untouched bytes: a body the proxy does not need to change is forwarded as sent.
    expect(received?.body.toString()).toBe(JSON.stringify(CHAT))

    expect(response.headers['content-type']).toBe('application/json')
    expect(response.headers['x-siliconcloud-trace-id']).toBe('trace-1')
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers['content-encoding']).toBeUndefined()
    const body = (await response.body.json()) as { choices: unknown[] }
    expect(body.choices).toHaveLength(1)
  })

  it('passes retry-after and content-disposition back', async () => {
    const proxy = await startProxyApp({ settings: { upstreamRetries: 0 } })
    proxy.upstream.script({
      fault: {
        kind: 'status',
        status: 400,
        body: { code: 20015, message: 'bad', data: null },
        headers: { 'retry-after': '7', 'content-disposition': 'inline', 'x-internal': 'no' },
      },
    })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(400)
    expect(response.headers['retry-after']).toBe('7')
    expect(response.headers['content-disposition']).toBe('inline')
    expect(response.headers['x-internal']).toBeUndefined()
    expect(await response.body.json()).toEqual({ code: 20015, message: 'bad', data: null })
  })
})
