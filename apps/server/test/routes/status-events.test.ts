import { readFileSync } from 'node:fs'
import { statusViewSchema } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { openEventStream } from '../helpers/event-stream.js'
import { basicAuth, buildTestApp } from '../helpers/test-app.js'

const VERSION = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version
const admin = { authorization: basicAuth() }

describe('GET /api/manage/status', () => {
  it('shows dispatch, switch guard and pool, and why requests would be refused', async () => {
    const { app } = await buildTestApp()
    const empty = statusViewSchema.parse(
      (await app.inject({ method: 'GET', url: '/api/manage/status', headers: admin })).json(),
    )
    expect(empty).toMatchObject({
      dispatch: { concurrency: 1, inFlight: 0, queued: 0, queueMax: 100, oldestWaitMs: 0 },
      switchGuard: {
        policy: 'wait',
        minutes: 30,
        currentKeyId: null,
        lastUsedKeyId: null,
        nextSwitchAllowedAt: null,
        blocked: { code: 'no_available_key' },
      },
      pool: { total: 0, currentKeyId: null, totalBalance: null },
      version: VERSION,
    })

    await app.keyPool.add({
      api_keys: `sk-status-one-${'1'.repeat(30)} sk-status-two-${'2'.repeat(30)}`,
    })
    const held = await app.dispatch.lease()
    const waiting = app.dispatch.lease()
    const busy = statusViewSchema.parse(
      (await app.inject({ method: 'GET', url: '/api/manage/status', headers: admin })).json(),
    )
    expect(busy.dispatch).toMatchObject({ inFlight: 1, queued: 1 })
    expect(busy.pool).toMatchObject({ total: 2, byStatus: { active: 2 } })
    expect(busy.switchGuard.blocked).toBeNull()
    held.release()
    ;(await waiting).release()
  })

  it('needs the admin login', async () => {
    const { app } = await buildTestApp()
    expect((await app.inject({ method: 'GET', url: '/api/manage/status' })).statusCode).toBe(401)
  })
})

describe('GET /api/manage/events', () => {
  it("answers HEAD with the stream's head alone", async () => {
    const { app } = await buildTestApp()
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const head = await fetch(`${address}/api/manage/events`, { method: 'HEAD', headers: admin })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  })

  it('streams the status at once, then a coalesced update, and ends at shutdown', async () => {
    const { app } = await buildTestApp()
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const stream = await openEventStream(`${address}/api/manage/events`, admin)
    expect(stream.statusCode).toBe(200)
    expect(stream.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    })
    expect(statusViewSchema.parse(await stream.event(0)).dispatch.inFlight).toBe(0)

    // A burst of changes within the 500 ms throttle ends in one event with the last state.
    await app.keyPool.add({ api_key: `sk-status-one-${'1'.repeat(30)}` })
    const first = await app.dispatch.lease()
    const second = app.dispatch.lease()
    first.release()
    const update = statusViewSchema.parse(await stream.event(1))
    expect(update.dispatch).toMatchObject({ inFlight: 1, queued: 0 })
    ;(await second).release()

    await app.close()
    await stream.ended
  })

  it('refuses a stream without the admin login', async () => {
    const { app } = await buildTestApp()
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const stream = await openEventStream(`${address}/api/manage/events`)
    expect(stream.statusCode).toBe(401)
    stream.close()
  })
})
