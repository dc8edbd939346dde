import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LEGACY_KEYS, LEGACY_PROXY_PASSWORD, writeLegacyDatabase } from '@sfp/test-support/legacy'
import { requireBuiltServer, runBuiltServer } from '@sfp/test-support/server-process'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

/**
 * The issue's "done when", as a user of the old siliconflowProxy lives it: its `data/` folder and
 * its `.env` (with the shared ADMIN_PASSWORD) next to the built server, started from that folder.
 * Their keys, proxies and password are there, and their old clients and scripts keep working:
 * the shared secret as the clients' key on `POST /api/proxy/chat/completions`, Bearer on the admin
 * API, empty JSON bodies on DELETE / PUT, `GET /api/proxy/health`. Needs the server build.
 */

const OLD_PASSWORD = 'old-shared-secret-2025'
const CHAT = { model: 'Qwen/Qwen2.5-7B-Instruct', messages: [{ role: 'user', content: 'hi' }] }

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

beforeAll(requireBuiltServer)

/** The old program's folder: `.env` as its installer wrote it, and `data/api_keys.db`. */
function oldInstallation(upstream: MockUpstream): string {
  const folder = mkdtempSync(join(tmpdir(), 'sfp-switch-'))
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }))
  mkdirSync(join(folder, 'data'))
  writeLegacyDatabase(join(folder, 'data', 'api_keys.db'), {
    keys: [
      // Ids and creation order differ: creation order wins.
      { api_key: LEGACY_KEYS.bravo, created_at: '2025-03-02 10:00:00', call_count: 12 },
      { api_key: LEGACY_KEYS.alpha, created_at: '2025-03-01 09:00:00', call_count: 40 },
      { api_key: LEGACY_KEYS.delta, is_available: 0, created_at: '2025-03-03 00:00:00' },
    ],
    proxies: [
      {
        enabled: 0,
        type: 'socks5',
        host: '127.0.0.1',
        port: 1080,
        username: 'olduser',
        password: LEGACY_PROXY_PASSWORD,
      },
    ],
  })
  writeFileSync(
    join(folder, '.env'),
    [
      `ADMIN_PASSWORD=${OLD_PASSWORD}`,
      'UPSTREAM_TIMEOUT_MS=600000',
      'AUTO_QUERY_BALANCE_AFTER_CALLS=0',
      // The look-alike upstream stands in for SiliconFlow: tests never reach the internet.
      `UPSTREAM_BASE_URL=${upstream.url}`,
      '',
    ].join('\n'),
  )
  return folder
}

/** `node <repo>/apps/server/dist/server.js` from `cwd`, as the README's start command runs it. */
async function start(
  cwd: string,
): Promise<{ url: string; lines: string[]; stop(): Promise<unknown> }> {
  // The upstream is named by the .env: an empty value here leaves it to the file.
  const server = runBuiltServer(cwd, { UPSTREAM_BASE_URL: '' })
  cleanups.push(async () => {
    await server.stop()
  })
  return { url: await server.url(), lines: server.lines, stop: server.stop }
}

/** The old admin scripts' way: `Authorization: Bearer <ADMIN_PASSWORD>`, JSON announced always. */
function oldScript(url: string, method: string, path: string): Promise<Response> {
  return fetch(`${url}/api/manage${path}`, {
    method,
    headers: { authorization: `Bearer ${OLD_PASSWORD}`, 'content-type': 'application/json' },
  })
}

interface KeyRow {
  id: number
  maskedKey: string
  status: string
  callCount: number
}

describe('switching from siliconflowProxy with its data folder and .env', {
  timeout: 60_000,
}, () => {
  it('finds the keys, proxies and password there; old clients and scripts keep working', async () => {
    const upstream = await startMockUpstream()
    cleanups.push(() => upstream.close())
    const folder = oldInstallation(upstream)
    const first = await start(folder)

    // The old clients: the shared secret as their key, on the old route.
    const chat = await fetch(`${first.url}/api/proxy/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OLD_PASSWORD}`, 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    })
    expect(chat.status).toBe(200)
    expect(await chat.json()).toMatchObject({ object: 'chat.completion' })
    // The earliest created key, as the old program would have used it.
    expect(upstream.requests.at(-1)?.key).toBe(LEGACY_KEYS.alpha)

    // The old admin scripts: Bearer, and the keys in creation order with their counts and states.
    const listed = await oldScript(first.url, 'GET', '/api-keys')
    expect(listed.status).toBe(200)
    const { keys } = (await listed.json()) as { keys: KeyRow[] }
    expect(keys.map((key) => [key.maskedKey.slice(0, 6), key.status])).toEqual([
      [LEGACY_KEYS.alpha.slice(0, 6), 'active'],
      [LEGACY_KEYS.bravo.slice(0, 6), 'active'],
      [LEGACY_KEYS.delta.slice(0, 6), 'disabled'],
    ])
    expect(keys[0]?.callCount).toBe(41)
    expect(JSON.stringify(keys)).not.toContain(LEGACY_KEYS.alpha)

    // The proxy, as it was (disabled), its password never shown.
    const egresses = await oldScript(first.url, 'GET', '/egresses')
    const egressText = await egresses.text()
    expect(egressText).toContain('socks5://olduser:***@127.0.0.1:1080')
    expect(egressText).not.toContain(LEGACY_PROXY_PASSWORD)

    // The old page's habit: PUT and DELETE announcing JSON with no body.
    const bravo = keys[1] as KeyRow
    expect((await oldScript(first.url, 'PUT', `/api-keys/${bravo.id}/activate`)).status).toBe(200)
    const delta = keys[2] as KeyRow
    expect((await oldScript(first.url, 'DELETE', `/api-keys/${delta.id}`)).status).toBe(204)

    // The old health check, without auth.
    const health = await fetch(`${first.url}/api/proxy/health`)
    expect(await health.json()).toEqual({ status: 'ok', ip_blocked: false, block_info: null })

    // The dashboard's sign-in with the same password, and its one-time notice.
    const basic = `Basic ${Buffer.from(`admin:${OLD_PASSWORD}`).toString('base64')}`
    const notice = await fetch(`${first.url}/api/manage/import`, {
      headers: { authorization: basic },
    })
    expect(await notice.json()).toMatchObject({
      dismissed: false,
      summary: { via: 'boot', keys: { imported: 3 }, egresses: { imported: 1, enabled: 0 } },
    })
    // One line said what was imported and the old setting's name was explained, no secret shown.
    const printed = first.lines.join('\n')
    expect(printed).toMatch(/siliconflowProxy/)
    expect(printed).toContain('UPSTREAM_TIMEOUT_MS=600000 is read as UPSTREAM_HEADERS_TIMEOUT_MS')
    expect(printed).not.toContain(OLD_PASSWORD)
    expect(printed).not.toContain(LEGACY_KEYS.alpha)
    await first.stop()

    // A second boot imports nothing again: the deleted key stays deleted, the rest as left.
    const second = await start(folder)
    const again = (await (await oldScript(second.url, 'GET', '/api-keys')).json()) as {
      keys: KeyRow[]
    }
    expect(again.keys.map((key) => key.id)).toEqual([keys[0]?.id, bravo.id])
    const chatAgain = await fetch(`${second.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OLD_PASSWORD}`, 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    })
    expect(chatAgain.status).toBe(200)
    // The key the admin made current stays current across the restart.
    expect(upstream.requests.at(-1)?.key).toBe(LEGACY_KEYS.bravo)
  })
})
