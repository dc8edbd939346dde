import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { describe, expect, it } from 'vitest'
import { ShuttingDown } from '../src/errors.js'
import dispatchPlugin from '../src/plugin.js'
import { buildTestApp } from './helpers/test-app.js'

describe('dispatch plugin', () => {
  it('installs the upstream gate into the pool and records activations as overrides', async () => {
    const { app, pool } = await buildTestApp()
    expect(pool.gate).not.toBeNull()
    const held = await app.dispatch.acquire()
    const check = pool.check(1)
    expect(app.dispatch.status().dispatch.queued).toBe(1)
    held.release()
    await check
    expect(app.dispatch.status().switchGuard.lastUsedKeyId).toBe(1)
    pool.activate(2)
    expect(app.dispatch.status().switchGuard).toMatchObject({ lastUsedKeyId: 2, currentKeyId: 2 })
  })

  it('validates its options once, naming the setting', async () => {
    const app = Fastify({ logger: false })
    app.register(fp(async () => {}, { name: 'database' }))
    app.register(fp(async () => {}, { name: 'key-pool' }))
    app.register(dispatchPlugin, { concurrency: 0 })
    await expect(app.ready()).rejects.toThrow(
      'Invalid dispatch options: DISPATCH_CONCURRENCY: must be between 1 and 1024',
    )
  })

  it('refuses queued waiters when the server closes, and lets the holder finish', async () => {
    const { app } = await buildTestApp()
    const held = await app.dispatch.acquire()
    const waiting = app.dispatch.acquire()
    const closed = app.close()
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDown)
    held.release()
    await closed
  })

  it('refuses a switch inside the window with an error the server turns into 503 + Retry-After', async () => {
    const { app, pool } = await buildTestApp()
    app.dispatch.guard.recordUse(1)
    pool.proposeSwitch(2, { keyId: 1, status: 'invalid', cooldownUntil: null })
    let refusal: unknown
    try {
      app.dispatch.chooseKey()
    } catch (error) {
      refusal = error
    }
    expect(refusal).toMatchObject({ code: 'SFP_KEY_SWITCH_GUARD', statusCode: 503 })
    expect((refusal as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(29 * 60)
  })
})
