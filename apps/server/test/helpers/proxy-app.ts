import type { AddressInfo } from 'node:net'
import type { KeyView } from '@sfp/schemas'
import { type MockAccount, type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import OpenAI from 'openai'
import { afterEach } from 'vitest'
import type { BuildServerOptions } from '../../src/build-server.js'
import { buildTestApp, TEST_CLIENT_KEY, type TestApp } from './test-app.js'

/** Upstream keys of the tests: `KEY_A` is created first, so the pool uses it first. */
export const KEY_A = `sk-key-a-${'a'.repeat(40)}`
export const KEY_B = `sk-key-b-${'b'.repeat(40)}`

export interface ProxyTestApp extends TestApp {
  upstream: MockUpstream
  /** `http://127.0.0.1:<port>` of the listening server. */
  url: string
  /** The official SDK pointed at the proxy, with its own retries off. */
  client: OpenAI
  keys: KeyView[]
}

const upstreams: MockUpstream[] = []
afterEach(async () => {
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

/**
 * The whole server, listening on a real port, in front of the SiliconFlow look-alike, with the
 * given upstream keys imported in order (A before B by default).
 */
export async function startProxyApp(
  env: Record<string, string> = {},
  options: {
    accounts?: Record<string, MockAccount>
    keys?: string[]
    now?: () => number
    /** Pino options; none by default (tests that read log lines pass a `stream`). */
    logger?: BuildServerOptions['logger']
  } = {},
): Promise<ProxyTestApp> {
  const accounts = options.accounts ?? {
    [KEY_A]: { totalBalance: '50.00' },
    [KEY_B]: { totalBalance: '50.00' },
  }
  const upstream = await startMockUpstream({ accounts, sseIntervalMs: 1 })
  upstreams.push(upstream)
  const test = await buildTestApp(
    {
      UPSTREAM_BASE_URL: upstream.url,
      AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
      BALANCE_REFRESH_MINUTES: '0',
      ...env,
    },
    {
      ...(options.now ? { now: options.now } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    },
  )
  const keys = (
    await test.app.keyPool.add({ api_keys: (options.keys ?? [KEY_A, KEY_B]).join('\n') })
  ).added
  await test.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = test.app.server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_CLIENT_KEY, maxRetries: 0 })
  return { ...test, upstream, url, client, keys }
}

export const CHAT_MODEL = 'Qwen/Qwen2.5-7B-Instruct'

export function chatBody(content = 'hello proxy', extra: Record<string, unknown> = {}) {
  return { model: CHAT_MODEL, messages: [{ role: 'user' as const, content }], ...extra }
}

/** POST JSON to the proxy with the test client key, as a plain HTTP client would. */
export async function postJson(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}
