import { ERRORS } from '@sfp/test-support/upstream'
import { describe, expect, it } from 'vitest'
import { chatBody, KEY_A, KEY_B, postJson, startProxyApp } from '../helpers/proxy-app.js'

const CHAT = '/v1/chat/completions'
const onA = { path: CHAT, key: KEY_A }
const busy = { code: 50508, message: 'System is too busy now. Please try again later.', data: null }

const statusOf = (app: Awaited<ReturnType<typeof startProxyApp>>['app'], id: number) =>
  app.keyPool.view(id)

/**
 * docs/behaviour.md §4 with the real pool, dispatch and proxy in front of the look-alike upstream.
 * Key A (id 1) is in use; key B (id 2) is the next candidate. `immediate` lets a key move show.
 */
describe('failover through the whole server (KEY_SWITCH_POLICY=immediate)', () => {
  const env = { KEY_SWITCH_POLICY: 'immediate', KEY_ERROR_THRESHOLD: '3' }

  it('401 confirmed by /user/info: A becomes invalid and B answers', async () => {
    // A is unknown upstream: every call with it, /user/info included, answers 401.
    const { app, url, upstream } = await startProxyApp(env, {
      accounts: { [KEY_B]: { totalBalance: '9' } },
    })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(200)
    expect(upstream.requests.map((r) => [r.path, r.key])).toEqual([
      [CHAT, KEY_A],
      ['/v1/user/info', KEY_A],
      [CHAT, KEY_B],
    ])
    expect(statusOf(app, 1)).toMatchObject({ status: 'invalid', isCurrent: false })
    expect(statusOf(app, 2)).toMatchObject({ status: 'active', isCurrent: true })
  })

  it('403 with a low balance: A becomes insufficient and B answers', async () => {
    const { app, url, upstream } = await startProxyApp(env, {
      accounts: { [KEY_A]: { totalBalance: '0.20' }, [KEY_B]: { totalBalance: '9' } },
    })
    upstream.script({
      match: onA,
      fault: { kind: 'status', status: 403, body: ERRORS.forbidden() },
    })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(200)
    expect(statusOf(app, 1)).toMatchObject({ status: 'insufficient', balance: 0.2 })
  })

  it.each([
    ['a high balance', 'ok' as const],
    ['an unknown balance (user/info retired)', 'gone' as const],
  ])(
    '403 with %s: A stays active, only not for this model, and B answers the request',
    async (_, mode) => {
      const { app, url, upstream } = await startProxyApp(env)
      upstream.setUserInfoMode(mode)
      const forbidden = { code: 30011, message: 'Insufficient permissions', data: null }
      upstream.script({ match: onA, fault: { kind: 'status', status: 403, body: forbidden } })
      const response = await postJson(url, CHAT, chatBody())
      expect(response.status).toBe(200)
      expect(upstream.requests.filter((r) => r.path === CHAT).map((r) => r.key)).toEqual([
        KEY_A,
        KEY_B,
      ])
      expect(statusOf(app, 1)).toMatchObject({
        status: 'active',
        blockedModels: [chatBody().model],
      })
    },
  )

  it('403 for a model no key may use: the upstream 403 with words saying it is the model', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    const forbidden = { code: 30011, message: 'Insufficient permissions', data: null }
    upstream.script({
      match: { path: CHAT },
      fault: { kind: 'status', status: 403, body: forbidden },
      times: 2,
    })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(403)
    expect(JSON.stringify(await response.json())).toContain(chatBody().model)
    expect(statusOf(app, 1)).toMatchObject({ status: 'active' })
    expect(statusOf(app, 2)).toMatchObject({ status: 'active' })
  })

  it('429: A cools down until Retry-After and B answers', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    upstream.script({
      match: onA,
      fault: {
        kind: 'status',
        status: 429,
        body: { message: 'TPM limit reached', data: null },
        headers: { 'retry-after': '7' },
      },
    })
    const before = Date.now()
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(200)
    const a = statusOf(app, 1)
    expect(a?.status).toBe('cooling')
    const cooldown = Date.parse(a?.cooldownUntil ?? '') - before
    expect(cooldown).toBeGreaterThanOrEqual(6000)
    expect(cooldown).toBeLessThan(9000)
  })

  it('503 busy (50508, and 50603 when not a block code) is retried on the same key and then succeeds', async () => {
    const { app, url, upstream } = await startProxyApp({ ...env, EGRESS_BLOCK_CODES: '' })
    upstream.script(
      { match: onA, fault: { kind: 'status', status: 503, body: busy } },
      { match: onA, fault: { kind: 'status', status: 503, body: { ...busy, code: 50603 } } },
    )
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(200)
    expect(upstream.requests.map((r) => r.key)).toEqual([KEY_A, KEY_A, KEY_A])
    expect(statusOf(app, 1)).toMatchObject({
      status: 'active',
      consecutiveErrors: 0,
      errorCount: 2,
    })
  })

  it('50603 (EGRESS_BLOCK_CODES) rests the only egress: 503 egress_blocked, the key untouched', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    const block = {
      ...busy,
      code: 50603,
      message: 'System is really busy. Please try again later.',
    }
    upstream.script({ match: onA, fault: { kind: 'status', status: 503, body: block } })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(503)
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(29 * 60)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'egress_blocked',
    )
    expect(upstream.requests.map((r) => r.key)).toEqual([KEY_A])
    expect(statusOf(app, 1)).toMatchObject({ status: 'active', errorCount: 0, callCount: 0 })
    expect(app.egress.list()[0]).toMatchObject({ state: 'blocked' })
    // Nothing more goes out through it while it rests.
    expect((await postJson(url, CHAT, chatBody())).status).toBe(503)
    expect(upstream.requests).toHaveLength(1)
  })

  it('500 until KEY_ERROR_THRESHOLD: A goes to error and B answers', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    upstream.script({
      match: onA,
      fault: { kind: 'status', status: 500, body: ERRORS.unknown() },
      times: Infinity,
    })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(200)
    // UPSTREAM_RETRIES=2: three attempts on A reach the threshold of 3, then B.
    expect(upstream.requests.filter((r) => r.path === CHAT).map((r) => r.key)).toEqual([
      KEY_A,
      KEY_A,
      KEY_A,
      KEY_B,
    ])
    expect(statusOf(app, 1)).toMatchObject({ status: 'error', consecutiveErrors: 3 })
  })

  it('a connection reset before headers is retried on the same key', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    upstream.script({ match: onA, fault: { kind: 'reset-before-headers' } })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(200)
    expect(upstream.requests.map((r) => r.key)).toEqual([KEY_A, KEY_A])
    expect(statusOf(app, 1)).toMatchObject({ status: 'active' })
  })

  it('an upstream that never answers gets 504 upstream_timeout after the headers timeout', async () => {
    const { url, upstream } = await startProxyApp({ ...env, UPSTREAM_HEADERS_TIMEOUT_MS: '300' })
    upstream.script({ match: onA, fault: { kind: 'hang' } })
    const response = await postJson(url, CHAT, chatBody())
    expect(response.status).toBe(504)
    expect(await response.json()).toMatchObject({
      error: { code: 'upstream_timeout', type: 'server_error' },
    })
  })

  it('400 from upstream (unknown model) is passed through and leaves the key untouched', async () => {
    const { app, url, upstream } = await startProxyApp(env)
    const response = await postJson(url, CHAT, chatBody('x', { model: 'no/such-model' }))
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      code: 20012,
      message: 'Model does not exist. Please check it carefully.',
      data: null,
    })
    expect(upstream.requests).toHaveLength(1)
    expect(statusOf(app, 1)).toMatchObject({
      status: 'active',
      errorCount: 0,
      consecutiveErrors: 0,
      isCurrent: true,
    })
  })
})

describe('the switch guard in front of failover (KEY_SWITCH_POLICY=wait, the default)', () => {
  it('never moves to B inside the window: 503 key_switch_guard, for that request and the next', async () => {
    const { app, url, upstream } = await startProxyApp(
      {},
      { accounts: { [KEY_B]: { totalBalance: '9' } } },
    )
    const first = await postJson(url, CHAT, chatBody())
    // Not the upstream's 401, which an SDK would read as its own client key being wrong.
    expect(first.status).toBe(503)
    expect(await first.json()).toMatchObject({ error: { code: 'key_switch_guard' } })
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(29 * 60)
    expect(statusOf(app, 1)?.status).toBe('invalid')

    const second = await postJson(url, CHAT, chatBody())
    expect(second.status).toBe(503)
    const retryAfter = Number(second.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(29 * 60)
    expect(retryAfter).toBeLessThanOrEqual(30 * 60)
    expect(await second.json()).toMatchObject({
      error: { code: 'key_switch_guard', type: 'server_error' },
    })
    // B was never sent upstream.
    expect(upstream.requests.some((r) => r.key === KEY_B)).toBe(false)
  })

  it('answers 429 rate_limited without calling upstream while the key in use cools down', async () => {
    const { url, upstream } = await startProxyApp()
    upstream.script({
      match: onA,
      fault: {
        kind: 'status',
        status: 429,
        body: ERRORS.rateLimited(),
        headers: { 'retry-after': '20' },
      },
    })
    const first = await postJson(url, CHAT, chatBody())
    expect(first.status).toBe(429)
    const second = await postJson(url, CHAT, chatBody())
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(15)
    expect(await second.json()).toMatchObject({ error: { code: 'rate_limited' } })
    expect(upstream.requests).toHaveLength(1)
  })
})
