import { openPostgres } from '@sfp/db/pg'
import type {
  ListKeyEventsResponse,
  ListKeysResponse,
  ListLogsResponse,
  StatsResponse,
} from '@sfp/schemas'
import { describePostgres, useTestSchema } from '@sfp/test-support/postgres'
import { expect, it } from 'vitest'
import { urlOn } from '../helpers/cluster.js'
import { CHAT_MODEL, chatBody, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const admin = { authorization: basicAuth() }

describePostgres('the whole server on PostgreSQL (DATABASE_URL)', () => {
  const schema = useTestSchema(openPostgres)

  it('keeps keys, egresses, client keys and the request log in PostgreSQL, across a restart', async () => {
    const DATABASE_URL = urlOn(schema.url, schema.name)
    const first = await startProxyApp({ DATABASE_URL })
    schema.closeBeforeDrop(first.app)
    expect(first.app.database.dialect).toBe('postgres')
    expect(first.app.database.handle).toBeUndefined()

    // Traffic: one answer through a key, logged with its tokens.
    const answer = await first.client.chat.completions.create(chatBody('hello postgres'))
    expect(answer.choices[0]?.message.content).toBeTruthy()

    // Admin changes: an egress, a client key, a disabled key.
    const egress = await first.app.inject({
      method: 'POST',
      url: '/api/manage/egresses',
      headers: admin,
      payload: { url: 'http://127.0.0.1:3128', label: 'squid' },
    })
    expect(egress.statusCode).toBe(201)
    const clientKey = await first.app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: admin,
      payload: { name: 'team' },
    })
    expect(clientKey.statusCode).toBe(201)
    const disabled = await first.app.inject({
      method: 'PATCH',
      url: `/api/manage/api-keys/${first.keys[1]?.id}`,
      headers: admin,
      payload: { enabled: false },
    })
    expect(disabled.statusCode).toBe(200)

    // Whole-cluster views come from the database.
    const logs = await first.app.inject({ url: '/api/manage/logs', headers: admin })
    const page = logs.json() as ListLogsResponse
    expect(page.items).toEqual([
      expect.objectContaining({
        model: CHAT_MODEL,
        status: 200,
        upstreamKeyId: first.keys[0]?.id,
        totalTokens: 7,
      }),
    ])
    const stats = await first.app.inject({ url: '/api/manage/stats?bucket=hour', headers: admin })
    const totals = (stats.json() as StatsResponse).buckets.reduce((sum, b) => sum + b.requests, 0)
    expect(totals).toBe(1)
    const events = await first.app.inject({ url: '/api/manage/key-events', headers: admin })
    expect((events.json() as ListKeyEventsResponse).events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['added', 'state']),
    )
    const ready = await first.app.inject({ url: '/readyz' })
    expect(ready.json()).toEqual({ status: 'ready', database: true })

    // A backup download is the SQLite file's: refused with a code, nothing else changes.
    const backup = await first.app.inject({ url: '/api/manage/backup', headers: admin })
    expect(backup.statusCode).toBe(409)
    expect(backup.json()).toMatchObject({
      error: {
        code: 'sqlite_only',
        explanation: { code: 'sqlite_only', params: { feature: 'backup' } },
      },
    })
    await first.app.close()

    // A second server on the same database (another data folder) finds everything.
    const second = await buildTestApp({ DATABASE_URL })
    schema.closeBeforeDrop(second.app)
    const keys = await second.app.inject({ url: '/api/manage/api-keys', headers: admin })
    const listed = (keys.json() as ListKeysResponse).keys
    expect(listed.map((key) => [key.id, key.status])).toEqual([
      [first.keys[0]?.id, 'active'],
      [first.keys[1]?.id, 'disabled'],
    ])
    expect(listed[0]?.callCount).toBe(1)
    expect(second.app.egress.list().map((view) => view.label)).toContain('squid')
    expect(second.app.clientKeys.list().keys.map((key) => key.name)).toContain('team')
    const again = await second.app.inject({ url: '/api/manage/logs', headers: admin })
    expect((again.json() as ListLogsResponse).items).toHaveLength(1)
  })
})
