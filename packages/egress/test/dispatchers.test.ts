import { type Dispatcher, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { createEgressDispatcher, type EgressRoute } from '../src/dispatchers.js'
import { httpProxy, onCleanup, rejectionOf, socksProxy, upstream } from './helpers/harness.js'

const USER = 'lane-user'
const PASSWORD = 'lane-p@ss:word'
const KEY = 'sk-caller-key-0001'

function dispatcherFor(route: EgressRoute): Dispatcher {
  const dispatcher = createEgressDispatcher(route, { connectTimeoutMs: 2000 })
  onCleanup(() => dispatcher.close())
  return dispatcher
}

/** A chat-like call with the caller's own Authorization header, through `dispatcher`. */
async function callThrough(dispatcher: Dispatcher, origin: string) {
  const { statusCode, body } = await request(`${origin}/v1/models`, {
    dispatcher,
    headers: { authorization: `Bearer ${KEY}` },
  })
  await body.text()
  return statusCode
}

/** No header of what reached the upstream carries a proxy credential. */
function expectNoProxyCredentials(headers: Record<string, unknown>): void {
  expect(headers['proxy-authorization']).toBeUndefined()
  const text = JSON.stringify(headers)
  expect(text).not.toContain(PASSWORD)
  expect(text).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'))
}

describe('createEgressDispatcher', () => {
  // Fails against src/dispatchers.ts as written: `localAddress` is given inside `connect: {}`,
  // where undici's connector overrides it with the Client's own `localAddress` option (null).
  it('direct: binds the local address it is given', async () => {
    const mock = await upstream()
    const dispatcher = dispatcherFor({ kind: 'direct', localAddress: '127.0.0.5' })
    expect(await callThrough(dispatcher, mock.url)).toBe(200)
    expect(mock.requests).toHaveLength(1)
    expect(mock.requests[0]?.sourceAddress).toBe('127.0.0.5')
    expect(mock.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`)
  })

  it('direct without a local address: the OS picks (127.0.0.1 towards 127.0.0.1)', async () => {
    const mock = await upstream()
    const dispatcher = dispatcherFor({ kind: 'direct', localAddress: null })
    expect(await callThrough(dispatcher, mock.url)).toBe(200)
    expect(mock.requests[0]?.sourceAddress).toBe('127.0.0.1')
  })

  it('http proxy with Basic auth: the upstream sees the proxy outgoing address, the caller key unchanged, no proxy credential', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({
      outgoingAddress: '127.0.0.2',
      auth: { username: USER, password: PASSWORD },
    })
    const dispatcher = dispatcherFor({
      kind: 'http',
      host: '127.0.0.1',
      port: proxy.port,
      username: USER,
      password: PASSWORD,
    })
    expect(await callThrough(dispatcher, mock.url)).toBe(200)
    // The proxy opens a tunnel only for the right Proxy-Authorization.
    expect(proxy.tunnels).toHaveLength(1)
    expect(proxy.tunnels[0]?.target).toBe(new URL(mock.url).host)
    const seen = mock.requests[0]
    expect(seen?.sourceAddress).toBe('127.0.0.2')
    expect(seen?.headers.authorization).toBe(`Bearer ${KEY}`)
    expectNoProxyCredentials(seen?.headers ?? {})
  })

  it('http proxy: wrong credentials get no tunnel and nothing reaches the upstream', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({
      outgoingAddress: '127.0.0.2',
      auth: { username: USER, password: PASSWORD },
    })
    const dispatcher = dispatcherFor({
      kind: 'http',
      host: '127.0.0.1',
      port: proxy.port,
      username: USER,
      password: 'not-the-password',
    })
    const error = await rejectionOf(callThrough(dispatcher, mock.url))
    expect(error).toMatchObject({ code: 'UND_ERR_ABORTED' })
    expect(String((error as Error).message)).toContain('407')
    expect(proxy.tunnels).toHaveLength(0)
    expect(mock.requests).toHaveLength(0)
  })

  it('http proxy without credentials: a proxy that wants them refuses (407)', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    const dispatcher = dispatcherFor({
      kind: 'http',
      host: '127.0.0.1',
      port: proxy.port,
      username: null,
      password: null,
    })
    const error = await rejectionOf(callThrough(dispatcher, mock.url))
    expect(String((error as Error).message)).toContain('407')
    expect(mock.requests).toHaveLength(0)
  })

  it('socks5 with user/password: the upstream sees the proxy outgoing address, the caller key unchanged', async () => {
    const mock = await upstream()
    const proxy = await socksProxy({
      outgoingAddress: '127.0.0.3',
      auth: { username: USER, password: PASSWORD },
    })
    const dispatcher = dispatcherFor({
      kind: 'socks5',
      host: '127.0.0.1',
      port: proxy.port,
      username: USER,
      password: PASSWORD,
    })
    expect(await callThrough(dispatcher, mock.url)).toBe(200)
    expect(proxy.tunnels).toHaveLength(1)
    const seen = mock.requests[0]
    expect(seen?.sourceAddress).toBe('127.0.0.3')
    expect(seen?.headers.authorization).toBe(`Bearer ${KEY}`)
    expectNoProxyCredentials(seen?.headers ?? {})
  })

  it('socks5: wrong credentials fail the RFC 1929 exchange and nothing reaches the upstream', async () => {
    const mock = await upstream()
    const proxy = await socksProxy({
      outgoingAddress: '127.0.0.3',
      auth: { username: USER, password: PASSWORD },
    })
    const dispatcher = dispatcherFor({
      kind: 'socks5',
      host: '127.0.0.1',
      port: proxy.port,
      username: USER,
      password: 'not-the-password',
    })
    const error = await rejectionOf(callThrough(dispatcher, mock.url))
    expect(error).toMatchObject({ code: 'UND_ERR_SOCKS5_AUTH_FAILED' })
    expect(proxy.tunnels).toHaveLength(0)
    expect(mock.requests).toHaveLength(0)
  })

  it('socks5 without auth, by host name: the proxy resolves it (socks5h needs nothing more)', async () => {
    const mock = await upstream()
    const proxy = await socksProxy({ outgoingAddress: '127.0.0.4' })
    const dispatcher = dispatcherFor({
      kind: 'socks5',
      host: '127.0.0.1',
      port: proxy.port,
      username: null,
      password: null,
    })
    const byName = mock.url.replace('127.0.0.1', 'localhost')
    expect(await callThrough(dispatcher, byName)).toBe(200)
    // The name went to the proxy as it was: it resolved it itself.
    expect(proxy.tunnels[0]?.target).toBe(new URL(byName).host)
    expect(mock.requests[0]?.sourceAddress).toBe('127.0.0.4')
  })

  it('socks5 with a user name and no password offers no authentication at all (undici needs both)', async () => {
    const mock = await upstream()
    const proxy = await socksProxy({ auth: { username: USER, password: PASSWORD } })
    const dispatcher = dispatcherFor({
      kind: 'socks5',
      host: '127.0.0.1',
      port: proxy.port,
      username: USER,
      password: null,
    })
    const error = await rejectionOf(callThrough(dispatcher, mock.url))
    expect(error).toMatchObject({ code: 'UND_ERR_SOCKS5_AUTH_REJECTED' })
    expect(mock.requests).toHaveLength(0)
  })
})
