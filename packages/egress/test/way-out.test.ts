import { explanationText } from '@sfp/schemas'
import { Agent, type Dispatcher, interceptors, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { createEgressDispatcher, type EgressRoute } from '../src/dispatchers.js'
import { errorCodeOf, transportFailure } from '../src/transport-failure.js'
import {
  BEFORE_SEND,
  isWayOutFailure,
  markErrorsBeforeSend,
  wayOutExplanation,
} from '../src/way-out.js'
import {
  httpProxy,
  NOWHERE,
  onCleanup,
  rejectionOf,
  socksProxy,
  upstream,
} from './helpers/harness.js'

/** The English line an egress down for `error` shows as its `stateReason`. */
const wayOutText = (error: unknown) => explanationText(wayOutExplanation(transportFailure(error)))

const USER = 'way-out-user'
const PASSWORD = 'way-out-secret-9f3a'
const KEY = 'sk-way-out-key-0001'

function dispatcherFor(route: EgressRoute): Dispatcher {
  const dispatcher = createEgressDispatcher(route, { connectTimeoutMs: 2000 })
  onCleanup(() => dispatcher.close())
  return dispatcher
}

const proxyRoute = (kind: 'http' | 'socks5', port: number, password = PASSWORD): EgressRoute => ({
  kind,
  host: '127.0.0.1',
  port,
  username: USER,
  password,
})

/** The error a call through `dispatcher` ends with (headers or body). */
async function failureOf(dispatcher: Dispatcher, origin: string): Promise<unknown> {
  return rejectionOf(
    (async () => {
      const { body } = await request(`${origin}/v1/chat/completions`, {
        dispatcher,
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'Qwen/Qwen2.5-7B-Instruct', messages: [] }),
      })
      await body.text()
    })(),
  )
}

/** A way-out reason names neither the proxy's password nor its address. */
function expectNoSecret(reason: string, port: number): void {
  expect(reason).not.toContain(PASSWORD)
  expect(reason).not.toContain(USER)
  expect(reason).not.toContain(`127.0.0.1:${port}`)
  expect(reason).not.toContain('://')
}

describe('isWayOutFailure with real failures of proxy egresses', () => {
  it('a killed HTTP proxy (ECONNREFUSED) is the way out', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    const dispatcher = dispatcherFor(proxyRoute('http', proxy.port))
    await proxy.kill()
    const error = await failureOf(dispatcher, mock.url)
    expect(errorCodeOf(error)).toBe('ECONNREFUSED')
    expect(isWayOutFailure('http', error)).toBe(true)
    const reason = wayOutText(error)
    expect(reason).toBe('the proxy refused the connection (ECONNREFUSED)')
    expectNoSecret(reason, proxy.port)
    expect(mock.requests).toHaveLength(0)
  })

  it('a 407 from the HTTP proxy is the way out', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    proxy.setMode('refuse-auth')
    const error = await failureOf(dispatcherFor(proxyRoute('http', proxy.port)), mock.url)
    expect(isWayOutFailure('http', error)).toBe(true)
    expect(isWayOutFailure('https', error)).toBe(true)
    const reason = wayOutText(error)
    expect(reason).toBe('the proxy refused the tunnel (UND_ERR_ABORTED)')
    expectNoSecret(reason, proxy.port)
  })

  it('a 502 to CONNECT is the way out', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    proxy.setMode('bad-gateway')
    const error = await failureOf(dispatcherFor(proxyRoute('http', proxy.port)), mock.url)
    expect(isWayOutFailure('http', error)).toBe(true)
    expectNoSecret(wayOutText(error), proxy.port)
    expect(mock.requests).toHaveLength(0)
  })

  it('a reset instead of an answer to CONNECT is the way out', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    proxy.setMode('reset')
    const error = await failureOf(dispatcherFor(proxyRoute('http', proxy.port)), mock.url)
    expect(isWayOutFailure('http', error)).toBe(true)
    expectNoSecret(wayOutText(error), proxy.port)
  })

  it('a SOCKS5 authentication failure is the way out', async () => {
    const mock = await upstream()
    const proxy = await socksProxy({ auth: { username: USER, password: PASSWORD } })
    proxy.setMode('refuse-auth')
    const error = await failureOf(dispatcherFor(proxyRoute('socks5', proxy.port)), mock.url)
    expect(errorCodeOf(error)).toBe('UND_ERR_SOCKS5_AUTH_FAILED')
    expect(isWayOutFailure('socks5', error)).toBe(true)
    const reason = wayOutText(error)
    expect(reason).toBe('SOCKS5 refusal (UND_ERR_SOCKS5_AUTH_FAILED)')
    expectNoSecret(reason, proxy.port)
  })

  it('a SOCKS5 CONNECT refusal (reply 0x05) is the way out', async () => {
    const mock = await upstream()
    const proxy = await socksProxy({ auth: { username: USER, password: PASSWORD } })
    proxy.setMode('refuse-connect')
    const error = await failureOf(dispatcherFor(proxyRoute('socks5', proxy.port)), mock.url)
    expect(errorCodeOf(error)).toBe('UND_ERR_SOCKS5_REPLY_5')
    expect(isWayOutFailure('socks5', error)).toBe(true)
    expectNoSecret(wayOutText(error), proxy.port)
  })

  it('a killed SOCKS5 proxy is the way out', async () => {
    const mock = await upstream()
    const proxy = await socksProxy()
    const dispatcher = dispatcherFor({
      kind: 'socks5',
      host: '127.0.0.1',
      port: proxy.port,
      username: null,
      password: null,
    })
    await proxy.kill()
    const error = await failureOf(dispatcher, mock.url)
    expect(isWayOutFailure('socks5', error)).toBe(true)
    expectNoSecret(wayOutText(error), proxy.port)
  })
})

describe('isWayOutFailure: what happens after the request was sent is not the way out', () => {
  it('the upstream resetting mid-answer through a working HTTP proxy', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    mock.script({ fault: { kind: 'reset-mid-stream', afterEvents: 2 } })
    const error = await failureOf(dispatcherFor(proxyRoute('http', proxy.port)), mock.url)
    expect(mock.requests).toHaveLength(1)
    expect(isWayOutFailure('http', error)).toBe(false)
    expect((error as Record<symbol, unknown>)[BEFORE_SEND]).toBeUndefined()
  })

  it('the upstream resetting before the headers, through a working SOCKS5 proxy', async () => {
    const mock = await upstream()
    const proxy = await socksProxy({ auth: { username: USER, password: PASSWORD } })
    mock.script({ fault: { kind: 'reset-before-headers' } })
    const error = await failureOf(dispatcherFor(proxyRoute('socks5', proxy.port)), mock.url)
    expect(mock.requests).toHaveLength(1)
    expect(isWayOutFailure('socks5', error)).toBe(false)
  })

  it('an upstream 503 (an answer came back)', async () => {
    const mock = await upstream()
    const proxy = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    mock.script({
      fault: { kind: 'status', status: 503, body: { code: 50508, message: 'busy', data: null } },
    })
    // undici's responseError interceptor turns the answer into an error, as a caller might.
    const dispatcher = dispatcherFor(proxyRoute('http', proxy.port)).compose(
      interceptors.responseError(),
    )
    const error = await failureOf(dispatcher, mock.url)
    expect(error).toMatchObject({ statusCode: 503 })
    expect(isWayOutFailure('http', error)).toBe(false)
  })
})

describe('isWayOutFailure on the direct kind', () => {
  it('a plain ECONNREFUSED to the upstream is the key network error, not the way out', async () => {
    const dispatcher = dispatcherFor({ kind: 'direct', localAddress: null })
    const error = await failureOf(dispatcher, NOWHERE)
    expect(errorCodeOf(error)).toBe('ECONNREFUSED')
    // Marked as raised before send, and still not the direct egress's fault ...
    expect((error as Record<symbol, unknown>)[BEFORE_SEND]).toBe(true)
    expect(isWayOutFailure('direct', error)).toBe(false)
    // ... whereas through a proxy the same thing would be the proxy's.
    expect(isWayOutFailure('http', error)).toBe(true)
  })

  it('a local address that is not this host (EADDRNOTAVAIL) is the way out', async () => {
    const mock = await upstream()
    // Bound the way undici honours (the Client option), marked as the egress dispatchers are.
    const agent = new Agent({ localAddress: '192.0.2.77', connect: { timeout: 2000 } })
    onCleanup(() => agent.close())
    const error = await failureOf(agent.compose(markErrorsBeforeSend), mock.url)
    expect(errorCodeOf(error)).toBe('EADDRNOTAVAIL')
    expect(isWayOutFailure('direct', error)).toBe(true)
  })

  it('through createEgressDispatcher, a direct egress on a foreign local address is down', async () => {
    const mock = await upstream()
    const dispatcher = dispatcherFor({ kind: 'direct', localAddress: '192.0.2.77' })
    // Fails against src/dispatchers.ts as written: the address is not bound at all (see the
    // dispatchers test), so the call succeeds from 127.0.0.1 instead of failing.
    const error = await failureOf(dispatcher, mock.url)
    expect(isWayOutFailure('direct', error)).toBe(true)
  })
})

describe('isWayOutFailure and wayOutExplanation with odd values', () => {
  it('non-errors are never the way out', () => {
    for (const value of [undefined, null, 'ECONNREFUSED', 42, {}, new Error('x')]) {
      expect(isWayOutFailure('http', value)).toBe(false)
      expect(isWayOutFailure('direct', value)).toBe(false)
    }
  })

  it('a mark on the cause counts; codes come from AggregateError members', () => {
    const inner = Object.assign(new Error('refused'), { code: 'EADDRNOTAVAIL' })
    Object.defineProperty(inner, BEFORE_SEND, { value: true })
    const outer = new Error('wrapped', { cause: inner })
    expect(isWayOutFailure('socks5', outer)).toBe(true)
    expect(isWayOutFailure('direct', outer)).toBe(true)
    const aggregate = new AggregateError([Object.assign(new Error('a'), { code: 'ETIMEDOUT' })])
    expect(errorCodeOf(aggregate)).toBe('ETIMEDOUT')
    expect(wayOutText(aggregate)).toBe('connect timeout (ETIMEDOUT)')
    expect(wayOutText(new Error('no code'))).toBe('the way out failed (UNKNOWN)')
    const wrapped = new Error('wrapped', {
      cause: Object.assign(new Error('x'), { code: 'EPIPE' }),
    })
    expect(errorCodeOf(wrapped)).toBe('EPIPE')
  })
})
