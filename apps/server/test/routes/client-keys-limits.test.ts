import type { AddressInfo } from 'node:net'
import type { ClientKeyView, CreateClientKeyBody } from '@sfp/schemas'
import { createManualClock, type ManualClock } from '@sfp/test-support'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { CHAT_MODEL, chatBody, KEY_A } from '../helpers/proxy-app.js'
import { basicAuth, buildTestApp, TEST_CLIENT_KEY, tempDataDir } from '../helpers/test-app.js'

/** 2026-03-10 12:00:15 China Standard Time: 15 s into a minute, 12 h before the day ends. */
const NOW = Date.UTC(2026, 2, 10, 4, 0, 15)
const admin = { authorization: basicAuth() }
type ErrorAnswer = { error: { code: string } }

const upstreams: MockUpstream[] = []
afterEach(async () => {
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

/**
 * The whole server on a real port in front of the SiliconFlow look-alike, on a clock the test
 * moves; `dataDir` again is the same server restarted.
 */
async function startServer(
  options: { clock?: ManualClock; dataDir?: string; env?: Record<string, string> } = {},
) {
  const { clock = createManualClock(NOW), env = {} } = options
  const dataDir = options.dataDir ?? tempDataDir()
  const upstream = await startMockUpstream({ accounts: { [KEY_A]: { totalBalance: '50.00' } } })
  upstreams.push(upstream)
  const test = await buildTestApp(
    {
      UPSTREAM_BASE_URL: upstream.url,
      AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
      BALANCE_REFRESH_MINUTES: '0',
      ...env,
    },
    { clock, dataDir },
  )
  const { app } = test
  // A restarted server has its upstream key already.
  if (options.dataDir === undefined) await app.keyPool.add({ api_keys: KEY_A })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const createKey = async (body: CreateClientKeyBody) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: admin,
      payload: body,
    })
    expect(response.statusCode).toBe(201)
    return response.json() as { key: ClientKeyView; plaintext: string }
  }
  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 })
  const chat = (apiKey: string, body: unknown = chatBody()) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const sentUpstream = () => upstream.requests.filter((r) => r.path.startsWith('/v1/chat')).length
  const keyView = (id: number) => app.clientKeys.list().keys.find((key) => key.id === id)
  return { ...test, clock, dataDir, upstream, url, createKey, sdk, chat, sentUpstream, keyView }
}

/** The request's record is taken once its answer closed, a moment after the client has it. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  expect(check()).toBe(true)
}

describe('client key limits on the proxy routes', () => {
  it('each limit answers its own error, which the SDK raises as its class; nothing goes upstream', async () => {
    const server = await startServer()
    const { plaintext } = await server.createKey({
      name: 'intern',
      models: ['Qwen/*'],
      rpm: 2,
      expiresAt: new Date(NOW + 3_600_000).toISOString(),
    })
    const client = server.sdk(plaintext)

    const refusedModel = client.chat.completions.create(
      chatBody('x', { model: 'deepseek-ai/DeepSeek-V3' }),
    )
    await expect(refusedModel).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError)
    await expect(refusedModel).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' })

    await client.chat.completions.create(chatBody())
    await client.chat.completions.create(chatBody())
    const limited = await server.chat(plaintext)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('45')
    expect(await limited.json()).toEqual({
      error: {
        code: 'client_rate_limited',
        type: 'rate_limit_error',
        message: "This client key's 2 requests per minute are used up",
      },
    })
    await expect(client.chat.completions.create(chatBody())).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    )
    // PROXY_API_KEYS have no limits.
    expect(
      (await server.chat(TEST_CLIENT_KEY, chatBody('x', { model: 'deepseek-ai/DeepSeek-V3' })))
        .status,
    ).toBe(200)
    expect(server.sentUpstream()).toBe(3)

    server.clock.advance(45_000)
    await client.chat.completions.create(chatBody())
    server.clock.advance(3_600_000)
    const expired = client.chat.completions.create(chatBody())
    await expect(expired).rejects.toBeInstanceOf(OpenAI.AuthenticationError)
    await expect(expired).rejects.toMatchObject({ status: 401, code: 'client_key_expired' })
    expect(server.sentUpstream()).toBe(4)

    const logs = await server.app.inject({ method: 'GET', url: '/api/manage/logs', headers: admin })
    const errorTypes = (logs.json() as { items: { errorType: string | null }[] }).items.map(
      (item) => item.errorType,
    )
    expect(errorTypes).toEqual([
      'client_key_expired',
      null,
      null,
      'client_rate_limited',
      'client_rate_limited',
      null,
      null,
      'model_not_allowed',
    ])
  })

  it('daily quotas: counted across a restart, 429 until midnight China Standard Time', async () => {
    const clock = createManualClock(NOW)
    const first = await startServer({ clock })
    const { key, plaintext } = await first.createKey({
      name: 'team',
      dailyRequests: 3,
      dailyTokens: 1000,
    })
    expect((await first.chat(plaintext, chatBody('one two three'))).status).toBe(200)
    expect((await first.chat(plaintext, chatBody('one two three'))).status).toBe(200)
    await until(() => first.keyView(key.id)?.usage.tokensToday === 18)
    await first.app.close()

    const second = await startServer({ clock, dataDir: first.dataDir })
    expect(second.keyView(key.id)?.usage).toEqual({
      requestsToday: 2,
      tokensToday: 18,
      spendThisMonthCny: 0,
    })
    expect((await second.chat(plaintext)).status).toBe(200)
    const refused = await second.chat(plaintext)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe(String(12 * 3600 - 15))
    expect(((await refused.json()) as ErrorAnswer).error.code).toBe('client_quota_exceeded')

    // Tokens: a day's budget used up refuses the next request, whatever its count.
    await second.app.inject({
      method: 'PATCH',
      url: `/api/manage/client-keys/${key.id}`,
      headers: admin,
      payload: { dailyRequests: null, dailyTokens: 20 },
    })
    await until(() => (second.keyView(key.id)?.usage.tokensToday ?? 0) >= 20)
    const overTokens = await second.chat(plaintext)
    expect(overTokens.status).toBe(429)
    expect(((await overTokens.json()) as ErrorAnswer).error.code).toBe('client_quota_exceeded')

    clock.advance(12 * 3600_000)
    expect(second.keyView(key.id)?.usage).toMatchObject({ requestsToday: 0, tokensToday: 0 })
    expect((await second.chat(plaintext)).status).toBe(200)
    expect(second.keyView(key.id)?.usage.requestsToday).toBe(1)
  })

  it('monthly spend: refused once the month’s cost passes the cap, until the first of the month', async () => {
    const server = await startServer()
    const { key, plaintext } = await server.createKey({ name: 'budget', monthlySpendCny: 1 })
    // Costs come with the request log record once the price table prices a request; given here.
    const spend = (cost: number) =>
      server.app.clientKeys.recordAnswer({ clientKeyId: key.id, totalTokens: null, cost })
    spend(0.6)
    expect((await server.chat(plaintext)).status).toBe(200)
    spend(0.6)
    const refused = await server.chat(plaintext)
    expect(refused.status).toBe(429)
    expect(((await refused.json()) as ErrorAnswer).error.code).toBe('client_quota_exceeded')
    // 2026-04-01 00:00 China Standard Time.
    const nextMonth = Date.UTC(2026, 2, 31, 16)
    expect(refused.headers.get('retry-after')).toBe(String((nextMonth - NOW) / 1000))
    expect(server.keyView(key.id)?.usage.spendThisMonthCny).toBeGreaterThan(1)

    // Weeks on, without running every 5 s timer of the way (the notification watcher).
    server.clock.jump(nextMonth - NOW)
    expect(server.keyView(key.id)?.usage.spendThisMonthCny).toBe(0)
    expect((await server.chat(plaintext)).status).toBe(200)
  })

  it('allowed IPs: the socket’s address, or the reverse proxy’s report under TRUST_PROXY', async () => {
    for (const trustProxy of [false, true]) {
      const server = await startServer({ env: { TRUST_PROXY: String(trustProxy) } })
      const { plaintext } = await server.createKey({
        name: 'office',
        allowedIps: ['198.51.100.0/24', '2001:db8:1::/48'],
      })
      const from = (remoteAddress: string, forwardedFor?: string) =>
        server.app.inject({
          method: 'GET',
          url: '/v1/models',
          remoteAddress,
          headers: {
            authorization: `Bearer ${plaintext}`,
            ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
          },
        })
      expect((await from('198.51.100.7')).statusCode).toBe(200)
      expect((await from('2001:db8:1:ffff::2')).statusCode).toBe(200)
      expect((await from('2001:db8:2::2')).statusCode).toBe(403)
      const outside = await from('203.0.113.9')
      expect(outside.statusCode).toBe(403)
      expect(outside.json().error).toMatchObject({
        code: 'client_ip_not_allowed',
        type: 'permission_error',
      })
      // A reverse proxy at 10.0.0.2 reports its client; only TRUST_PROXY believes it.
      const viaProxy = await from('10.0.0.2', '198.51.100.20')
      expect(viaProxy.statusCode).toBe(trustProxy ? 200 : 403)
      const spoofed = await from('203.0.113.9', '198.51.100.20')
      // Behind TRUST_PROXY any peer is taken as the proxy (build-server.ts): its report decides.
      expect(spoofed.statusCode).toBe(trustProxy ? 200 : 403)
      await server.app.close()
    }
  })

  it('/v1/models lists only the models a key with a model list may use', async () => {
    const server = await startServer()
    const { plaintext } = await server.createKey({
      name: 'deepseek only',
      models: ['deepseek-ai/*', CHAT_MODEL],
    })
    const models = async (apiKey: string, path = '/v1/models') => {
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      })
      const text = await response.text()
      // A filtered list is shorter than the upstream's: a length, if any, must be its own.
      const length = response.headers.get('content-length')
      expect([null, String(Buffer.byteLength(text))]).toContain(length)
      const body = JSON.parse(text) as { object: string; data: { id: string }[] }
      return { object: body.object, ids: body.data.map((model) => model.id) }
    }
    expect(await models(plaintext)).toEqual({
      object: 'list',
      ids: [CHAT_MODEL, 'deepseek-ai/DeepSeek-V3', 'deepseek-ai/DeepSeek-R1'],
    })
    expect((await models(plaintext, '/api/proxy/models?sub_type=chat')).ids).toHaveLength(3)
    expect((await models(TEST_CLIENT_KEY)).ids.length).toBeGreaterThan(3)
    const sdkIds = []
    for await (const model of server.sdk(plaintext).models.list()) sdkIds.push(model.id)
    expect(sdkIds).toEqual([CHAT_MODEL, 'deepseek-ai/DeepSeek-V3', 'deepseek-ai/DeepSeek-R1'])
  })
})

describe('PATCH /api/manage/client-keys/:id', () => {
  it('changes the limits at once for the proxy, never shows the key, 404 for an unknown id', async () => {
    const server = await startServer()
    const { key, plaintext } = await server.createKey({ name: 'team' })
    const patch = (id: number, payload: unknown) =>
      server.app.inject({
        method: 'PATCH',
        url: `/api/manage/client-keys/${id}`,
        headers: admin,
        payload: payload as Record<string, unknown>,
      })
    const changed = await patch(key.id, {
      name: 'team B',
      models: ['deepseek-ai/*'],
      allowedIps: ['10.1.2.3/8'],
      note: ' 实习生的脚本 ',
      monthlySpendCny: 50,
    })
    expect(changed.statusCode).toBe(200)
    expect(changed.body).not.toContain(plaintext)
    expect(changed.json()).toEqual({
      ...key,
      name: 'team B',
      models: ['deepseek-ai/*'],
      allowedIps: ['10.0.0.0/8'],
      note: '实习生的脚本',
      monthlySpendCny: 50,
    })
    await patch(key.id, { allowedIps: null })
    expect((await server.chat(plaintext)).status).toBe(403)
    await patch(key.id, { models: null })
    expect((await server.chat(plaintext)).status).toBe(200)

    const unknown = await patch(key.id + 100, { rpm: 5 })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.code).toBe('not_found')
  })

  it.each([
    [{}, 'body'],
    [{ rpm: 0 }, 'body.rpm'],
    [{ models: ['bad model'] }, 'body.models.0'],
    [{ allowedIps: ['10.0.0.0/33'] }, 'body.allowedIps.0'],
    [{ expiresAt: 'soon' }, 'body.expiresAt'],
    [{ name: '' }, 'body.name'],
    [{ keyHash: 'x' }, 'body'],
  ])('refuses %j with 400 naming %s and changes nothing', async (payload, field) => {
    const { app } = await buildTestApp()
    const { key } = await app.clientKeys.create('team')
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/manage/client-keys/${key.id}`,
      headers: admin,
      payload,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.fields[0].field).toBe(field)
    expect(app.clientKeys.list().keys).toEqual([key])
  })
})
