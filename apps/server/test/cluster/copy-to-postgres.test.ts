import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { claimSoleInstance, openPostgres } from '@sfp/db/pg'
import type { ListKeysResponse } from '@sfp/schemas'
import { describePostgres, useTestSchema } from '@sfp/test-support/postgres'
import { expect, it } from 'vitest'
import { urlOn } from '../helpers/cluster.js'
import { basicAuth, buildTestApp, tempDataDir } from '../helpers/test-app.js'

/** The built entry `pnpm db:copy-to-postgres` runs (`pnpm --filter @sfp/server... build` first). */
const ENTRY = fileURLToPath(new URL('../../dist/copy-to-postgres.js', import.meta.url))
const admin = { authorization: basicAuth() }
const KEYS = [`sk-copy-one-${'1'.repeat(40)}`, `sk-copy-two-${'2'.repeat(40)}`]

function copy(env: Record<string, string>) {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build the server first`)
  const result = spawnSync(process.execPath, [ENTRY], {
    cwd: tempDataDir(), // no `.env` of this checkout
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describePostgres('pnpm db:copy-to-postgres', () => {
  const schema = useTestSchema(openPostgres)

  it('moves a SQLite pool into PostgreSQL, where the server finds it; a second copy is refused', async () => {
    const dataDir = tempDataDir()
    const before = await buildTestApp({}, { dataDir })
    await before.app.keyPool.add({ api_keys: KEYS.join('\n') })
    before.app.keyPool.update(2, { enabled: false, label: 'spare' })
    await before.app.close()

    const DATABASE_URL = urlOn(schema.url, schema.name)
    const first = copy({ DATA_DIR: dataDir, DATABASE_URL })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('upstream_keys: 2')
    // Nothing secret in what it prints.
    for (const key of KEYS) expect(first.stdout).not.toContain(key)

    const after = await buildTestApp({ DATABASE_URL })
    schema.closeBeforeDrop(after.app)
    const listed = await after.app.inject({ url: '/api/manage/api-keys', headers: admin })
    expect((listed.json() as ListKeysResponse).keys.map((k) => [k.id, k.status, k.label])).toEqual([
      [1, 'active', null],
      [2, 'disabled', 'spare'],
    ])
    await after.app.close()

    const second = copy({ DATA_DIR: dataDir, DATABASE_URL })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('already holds rows')
  })

  it('says what is missing without DATABASE_URL or without a SQLite database', () => {
    const noUrl = copy({ DATA_DIR: tempDataDir() })
    expect(noUrl.code).toBe(1)
    expect(noUrl.stderr).toContain('DATABASE_URL is not set')
    const noFile = copy({ DATA_DIR: tempDataDir(), DATABASE_URL: schema.url })
    expect(noFile.code).toBe(1)
    expect(noFile.stderr).toContain('No SQLite database')
  })

  it('is refused while a server uses the database; a server is refused while a copy fills it', async () => {
    const dataDir = tempDataDir()
    const before = await buildTestApp({}, { dataDir })
    await before.app.close()
    const DATABASE_URL = urlOn(schema.url, schema.name)

    const running = await buildTestApp({ DATABASE_URL, INSTANCE_ID: 'running' })
    schema.closeBeforeDrop(running.app)
    const refused = copy({ DATA_DIR: dataDir, DATABASE_URL })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('server (or another copy) is using this PostgreSQL database')
    // A second server shares the database with the first (cluster mode).
    const second = await buildTestApp({ DATABASE_URL, INSTANCE_ID: 'second' })
    schema.closeBeforeDrop(second.app)
    await second.app.close()
    await running.app.close()

    // The copy's own lock, held as the copy holds it: a server starting meanwhile is refused.
    const handle = await openPostgres({ url: DATABASE_URL })
    const release = await claimSoleInstance(handle, () => {})
    try {
      await expect(buildTestApp({ DATABASE_URL, INSTANCE_ID: 'late' })).rejects.toThrow(
        /db:copy-to-postgres is filling this PostgreSQL database/,
      )
    } finally {
      await release()
      await handle.close()
    }
  })
})
