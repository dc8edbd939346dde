import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { get, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Sqlite } from '@sfp/db'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import { logRow } from '../helpers/log-rows.js'
import { basicAuth, buildTestApp, sqliteOf, tempDataDir } from '../helpers/test-app.js'

const LOG_ROWS = 20_000
const UPSTREAM_KEYS = 2_000

/** A few MB of request log rows and keys: the backup takes many steps, the download many chunks. */
async function seed(app: FastifyInstance): Promise<void> {
  for (let i = 0; i < LOG_ROWS; i++) {
    app.requestLog.record(logRow({ requestId: `seeded-${i}`, errorMessage: 'x'.repeat(100) }))
  }
  await app.requestLog.flush()
  const keys = Array.from({ length: UPSTREAM_KEYS }, (_, i) => `sk-seeded-${i}-${'k'.repeat(40)}`)
  await app.keyPool.add({ api_keys: keys.join('\n') })
  await app.clientKeys.create('made before the backup')
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/**
 * Watches the app's `sqlite.backup()`: when it starts, when it settles, and how many steps it
 * copied in, without changing what it does.
 */
function watchBackup(app: FastifyInstance) {
  const sqlite = sqliteOf(app)
  const backup = sqlite.backup.bind(sqlite)
  let markStarted = () => {}
  const started = new Promise<void>((resolve) => {
    markStarted = resolve
  })
  const watch = { started, steps: 0, finished: false }
  vi.spyOn(sqlite, 'backup').mockImplementation(async (file, options) => {
    markStarted()
    try {
      return await backup(file, {
        ...options,
        progress: (info) => {
          watch.steps += 1
          // 100: better-sqlite3's own default when no progress function is given.
          return options?.progress ? options.progress(info) : 100
        },
      })
    } finally {
      watch.finished = true
    }
  })
  return watch
}

/** How each response of the server ended: fully written, or cut short by its client. */
function watchResponses(app: FastifyInstance): Map<string, ServerResponse> {
  const responses = new Map<string, ServerResponse>()
  app.server.on('request', (request, response) => responses.set(request.url ?? '', response))
  return responses
}

const backupCopies = (dataDir: string) => {
  const folder = join(dataDir, 'backups')
  return existsSync(folder) ? readdirSync(folder) : []
}

const admin = { authorization: basicAuth() }

describe('GET /api/manage/backup', () => {
  it('keeps serving other requests while it copies, and downloads a whole database', async () => {
    const { app, dataDir } = await buildTestApp()
    await seed(app)
    const url = await listen(app)
    const backup = watchBackup(app)

    const download = fetch(`${url}/api/manage/backup`, { headers: admin })
    await backup.started
    const health = await fetch(`${url}/healthz`)
    const created = await fetch(`${url}/api/manage/client-keys`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'made during the backup' }),
    })
    // Both were answered before the backup was done copying.
    expect(backup.finished).toBe(false)
    expect(health.status).toBe(200)
    expect(created.status).toBe(201)

    const response = await download
    expect(backup.steps).toBeGreaterThan(10)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/vnd.sqlite3')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="sfp-backup-.+\.db"$/,
    )
    const body = Buffer.from(await response.arrayBuffer())
    expect(Number(response.headers.get('content-length'))).toBe(body.length)

    const copy = join(tempDataDir(), 'downloaded.db')
    writeFileSync(copy, body)
    const restored = new Sqlite(copy, { readonly: true })
    try {
      expect(restored.pragma('integrity_check', { simple: true })).toBe('ok')
      const count = (sql: string) => (restored.prepare(sql).get() as { n: number }).n
      expect(count("SELECT count(*) AS n FROM request_logs WHERE request_id LIKE 'seeded-%'")).toBe(
        LOG_ROWS,
      )
      expect(count('SELECT count(*) AS n FROM upstream_keys')).toBe(UPSTREAM_KEYS)
      // A write made through the server's connection while the copy ran is carried into it.
      expect(restored.prepare('SELECT name FROM client_keys ORDER BY id').all()).toEqual([
        { name: 'made before the backup' },
        { name: 'made during the backup' },
      ])
    } finally {
      restored.close()
    }
    await vi.waitFor(() => expect(backupCopies(dataDir)).toEqual([]))
  })

  it('removes its copy when the client leaves in the middle of the download', async () => {
    const { app, dataDir } = await buildTestApp()
    await seed(app)
    const url = await listen(app)
    const responses = watchResponses(app)

    await new Promise<void>((resolve, reject) => {
      const request = get(`${url}/api/manage/backup`, { headers: admin }, (response) => {
        expect(response.statusCode).toBe(200)
        response.once('data', () => {
          expect(backupCopies(dataDir)).toHaveLength(1)
          request.destroy()
          resolve()
        })
      })
      request.on('error', reject)
    })

    await vi.waitFor(() => expect(backupCopies(dataDir)).toEqual([]))
    const served = responses.get('/api/manage/backup')
    expect(served?.writableFinished).toBe(false)
  })

  it('removes its copy when the client leaves before the backup is made', async () => {
    const { app, dataDir } = await buildTestApp()
    await seed(app)
    const url = await listen(app)
    const backup = watchBackup(app)

    const leaving = new AbortController()
    const download = fetch(`${url}/api/manage/backup`, { headers: admin, signal: leaving.signal })
    await backup.started
    leaving.abort()
    await expect(download).rejects.toThrow()

    await vi.waitFor(() => {
      expect(backup.finished).toBe(true)
      expect(backupCopies(dataDir)).toEqual([])
    })
  })

  it('at boot, removes the copies an interrupted run left, and nothing else', async () => {
    const dataDir = tempDataDir()
    const folder = join(dataDir, 'backups')
    mkdirSync(folder)
    const leftover = `backup-${randomUUID()}.db`
    for (const name of [leftover, `${leftover}-journal`, 'my-own-backup.db']) {
      writeFileSync(join(folder, name), 'sk-a-key-in-plain-text')
    }

    await buildTestApp({}, { dataDir })
    expect(readdirSync(folder)).toEqual(['my-own-backup.db'])
  })

  it('needs the admin login', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/api/manage/backup' })
    expect(response.statusCode).toBe(401)
  })
})
