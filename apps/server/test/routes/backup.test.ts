import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { Sqlite } from '@sfp/db'
import { describe, expect, it } from 'vitest'
import { logRow } from '../helpers/log-rows.js'
import { basicAuth, buildTestApp, tempDataDir } from '../helpers/test-app.js'

describe('GET /api/manage/backup', () => {
  it('streams a consistent copy of the live database and removes its temporary file', async () => {
    const { app, dataDir } = await buildTestApp()
    for (let i = 0; i < 100; i++) app.requestLog.record(logRow({ requestId: `before-${i}` }))
    app.clientKeys.create('kept in backup')

    // Writes keep landing while the backup runs.
    let writing = true
    const writer = (async () => {
      let n = 0
      while (writing) {
        app.requestLog.record(logRow({ requestId: `during-${n++}` }))
        app.requestLog.flush()
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    const response = await app.inject({
      method: 'GET',
      url: '/api/manage/backup',
      headers: { authorization: basicAuth() },
    })
    writing = false
    await writer

    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/vnd.sqlite3')
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="sfp-backup-.+\.db"$/,
    )
    expect(Number(response.headers['content-length'])).toBe(response.rawPayload.length)

    const copy = join(tempDataDir(), 'restored.db')
    writeFileSync(copy, response.rawPayload)
    const restored = new Sqlite(copy, { readonly: true })
    expect(restored.pragma('integrity_check', { simple: true })).toBe('ok')
    const before = restored
      .prepare("SELECT count(*) AS n FROM request_logs WHERE request_id LIKE 'before-%'")
      .get() as { n: number }
    expect(before.n).toBe(100)
    expect(restored.prepare('SELECT name FROM client_keys').all()).toEqual([
      { name: 'kept in backup' },
    ])
    restored.close()

    const backups = join(dataDir, 'backups')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(existsSync(backups) ? readdirSync(backups) : []).toEqual([])
  })

  it('needs the admin login', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/api/manage/backup' })
    expect(response.statusCode).toBe(401)
  })
})
