import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { MockUpstream } from '@sfp/test-support/upstream'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchChromium } from './helpers/browser.js'
import { type BuiltServer, startBuiltServer } from './helpers/built-server.js'
import { ADMIN_PASSWORD, CLIENT_KEY } from './helpers/dashboard-suite.js'
import { createAdminClient } from './helpers/server-clients.js'
import { startUpstreamWithAccounts, UPSTREAM_KEYS } from './helpers/upstream.js'

/*
 * A chat web app on its own origin calling the gateway from the browser, as CORS_ORIGINS is
 * for: real Chromium, a real page on another port (another origin), real `fetch` with the
 * client key as a Bearer header (so every call is preflighted), against the built server.
 */

const MODEL = 'Qwen/Qwen2.5-7B-Instruct'

/** What the page's `fetch` came to: an answer it could read, or the error the browser gave. */
type Outcome =
  | { ok: true; status: number; requestId: string | null; traceId: string | null; text: string }
  | { ok: false; error: string }

/** A chat app's page: nothing but an origin of its own to run `fetch` from. */
async function startPageServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end('<!doctype html><html><head><title>chat app</title></head><body></body></html>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** `fetch` in the page, the body read whole; streams chunk by chunk through a reader. */
function fetchFromPage(
  page: Page,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Outcome> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, init)
        let text = ''
        if (response.body !== null) {
          const reader = response.body.getReader()
          const decoder = new TextDecoder()
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            text += decoder.decode(value, { stream: true })
          }
        }
        return {
          ok: true as const,
          status: response.status,
          requestId: response.headers.get('x-request-id'),
          traceId: response.headers.get('x-siliconcloud-trace-id'),
          text,
        }
      } catch (error) {
        return { ok: false as const, error: String(error) }
      }
    },
    { url, init },
  )
}

const chat = (stream: boolean) => ({
  method: 'POST',
  headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({
    model: MODEL,
    messages: [{ role: 'user', content: 'hello from a browser' }],
    stream,
  }),
})

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('browser clients (CORS)', () => {
  let upstream: MockUpstream
  let pages: Awaited<ReturnType<typeof startPageServer>>[] = []
  /** CORS_ORIGINS unset: `*`. */
  let open: BuiltServer
  /** CORS_ORIGINS listing the first page's origin only. */
  let listed: BuiltServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  /** What Chromium said in the console: a CORS refusal is explained there, not to the page. */
  let consoleLines: string[] = []
  const stops: (() => Promise<void>)[] = []

  beforeAll(async () => {
    try {
      upstream = await startUpstreamWithAccounts()
      stops.push(() => upstream.close())
      pages = [await startPageServer(), await startPageServer()]
      for (const pageServer of pages) stops.push(() => pageServer.close())
      const settings = { upstreamUrl: upstream.url, adminPassword: ADMIN_PASSWORD }
      open = await startBuiltServer({ ...settings, clientKey: CLIENT_KEY })
      stops.push(() => open.stop())
      listed = await startBuiltServer({
        ...settings,
        clientKey: CLIENT_KEY,
        env: { CORS_ORIGINS: pages[0]?.origin ?? '' },
      })
      stops.push(() => listed.stop())
      for (const server of [open, listed]) {
        await createAdminClient(server.url, ADMIN_PASSWORD).addKeys(UPSTREAM_KEYS.first)
      }
      browser = await launchChromium()
      stops.push(() => browser.close())
    } catch (error) {
      for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined)
      throw error
    }
  })

  afterAll(async () => {
    // Browser first, then the servers, the page servers and the upstream.
    for (const stop of stops.splice(0).reverse()) await stop()
  })

  /** The page of the given page server (the first one unless told), in this test's context. */
  async function openPage(index = 0): Promise<Page> {
    const origin = pages[index]?.origin ?? ''
    await page.goto(`${origin}/`)
    return page
  }

  beforeEach(async () => {
    context = await browser.newContext()
    context.setDefaultTimeout(15_000)
    page = await context.newPage()
    consoleLines = []
    page.on('console', (message) => consoleLines.push(message.text()))
  })

  afterEach(async () => {
    await context.close()
  })

  it('a page on another origin chats with the client key, reading the answer and x-request-id', async () => {
    const calls = upstream.requests.length
    await openPage()
    const outcome = await fetchFromPage(page, `${open.url}/v1/chat/completions`, chat(false))
    if (!outcome.ok) throw new Error(`fetch failed: ${outcome.error}\n${consoleLines.join('\n')}`)
    expect(outcome.status).toBe(200)
    expect(outcome.requestId).toMatch(UUID)
    expect(outcome.traceId).toMatch(/^trace-/)
    const answer = JSON.parse(outcome.text) as { model: string; choices: unknown[] }
    expect(answer.model).toBe(MODEL)
    expect(answer.choices).toHaveLength(1)
    // The preflight never went upstream: one chat call, with the upstream key.
    const sent = upstream.requests.slice(calls)
    expect(sent.map((request) => [request.method, request.path, request.key])).toEqual([
      ['POST', '/v1/chat/completions', UPSTREAM_KEYS.first],
    ])
  })

  it('streams a chat answer into the page through response.body.getReader()', async () => {
    await openPage()
    const outcome = await fetchFromPage(page, `${open.url}/v1/chat/completions`, chat(true))
    if (!outcome.ok) throw new Error(`fetch failed: ${outcome.error}\n${consoleLines.join('\n')}`)
    expect(outcome.status).toBe(200)
    expect(outcome.requestId).toMatch(UUID)
    const events = outcome.text.split('\n\n').filter((event) => event.startsWith('data: '))
    expect(events.length).toBeGreaterThan(2)
    expect(events.at(-1)).toBe('data: [DONE]')
    expect(events[0]).toContain('chat.completion.chunk')
  })

  it('lists the models, and reads a 401 of a wrong key (its code and request id) too', async () => {
    await openPage()
    const models = await fetchFromPage(page, `${open.url}/v1/models`, {
      method: 'GET',
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    if (!models.ok) throw new Error(`fetch failed: ${models.error}\n${consoleLines.join('\n')}`)
    expect(models.status).toBe(200)
    const list = JSON.parse(models.text) as { data: { id: string }[] }
    expect(list.data.map((model) => model.id)).toContain(MODEL)

    const wrongKey = await fetchFromPage(page, `${open.url}/api/proxy/chat/completions`, {
      ...chat(false),
      headers: { authorization: 'Bearer sk-not-a-client-key', 'content-type': 'application/json' },
    })
    if (!wrongKey.ok) throw new Error(`fetch failed: ${wrongKey.error}`)
    expect(wrongKey.status).toBe(401)
    expect(wrongKey.requestId).toMatch(UUID)
    expect(JSON.parse(wrongKey.text)).toMatchObject({ error: { code: 'invalid_client_key' } })
  })

  it('cannot call the admin API from that page, even with the password: a CORS error', async () => {
    await openPage()
    const basic = `Basic ${btoa(`admin:${ADMIN_PASSWORD}`)}`
    const status = await fetchFromPage(page, `${open.url}/api/manage/status`, {
      method: 'GET',
      headers: { authorization: basic },
    })
    expect(status).toEqual({ ok: false, error: 'TypeError: Failed to fetch' })
    await expect.poll(() => consoleLines.join('\n')).toContain('blocked by CORS policy')
    // The server is there all the same: the same page reads the proxy routes.
    const models = await fetchFromPage(page, `${open.url}/v1/models`, {
      method: 'GET',
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    })
    expect(models).toMatchObject({ ok: true, status: 200 })
  })

  it('with CORS_ORIGINS listing one origin, a page there chats and a page elsewhere is blocked', async () => {
    await openPage(0)
    const allowed = await fetchFromPage(page, `${listed.url}/v1/chat/completions`, chat(false))
    if (!allowed.ok) throw new Error(`fetch failed: ${allowed.error}\n${consoleLines.join('\n')}`)
    expect(allowed.status).toBe(200)
    expect(allowed.requestId).toMatch(UUID)

    const calls = upstream.requests.length
    await openPage(1)
    for (const init of [chat(false), chat(true)]) {
      const blocked = await fetchFromPage(page, `${listed.url}/v1/chat/completions`, init)
      expect(blocked).toEqual({ ok: false, error: 'TypeError: Failed to fetch' })
    }
    await expect.poll(() => consoleLines.join('\n')).toContain('blocked by CORS policy')
    // Refused at the preflight: the chat itself was never sent, so nothing went upstream.
    expect(upstream.requests.length).toBe(calls)
  })
})
