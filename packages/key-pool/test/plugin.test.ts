import { databaseOf } from '@sfp/db'
import { type Clock, clockPlugin } from '@sfp/runtime'
import { parseConfig } from '@sfp/schemas'
import { createManualClock, START as T0 } from '@sfp/test-support'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { afterEach, describe, expect, it } from 'vitest'
import keyPoolPlugin, { keyPoolSettings } from '../src/plugin.js'
import { fakeKey, NOWHERE, openStorage, tempDataDir } from './helpers/test-pool.js'

/** The pool's options are its slice of the parsed settings: the defaults, the upstream nowhere. */
const OPTIONS = { ...parseConfig({}), upstreamBaseUrl: NOWHERE }

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

/** The app's clock, and the `database` plugin over a database this test file opens (and closes). */
function appWithDatabase(dataDir = tempDataDir(), clock?: Clock): FastifyInstance {
  const app = Fastify({ logger: false })
  apps.push(app)
  app.register(clockPlugin, { clock })
  const { handle } = openStorage(dataDir)
  app.register(
    fp(
      async (instance) => {
        instance.decorate('database', databaseOf(handle))
      },
      { name: 'database' },
    ),
  )
  return app
}

describe('key-pool plugin', () => {
  it('decorates app.keyPool with a pool that follows the options and the clock', async () => {
    const app = appWithDatabase(tempDataDir(), createManualClock(T0))
    await app.register(keyPoolPlugin, OPTIONS)
    await app.ready()
    const [added] = (await app.keyPool.add({ api_key: fakeKey(1) })).added
    expect(added).toMatchObject({ id: 1, createdAt: new Date(T0).toISOString() })
  })

  it("clears its refresh timer, on the app's clock, on close", async () => {
    const clock = createManualClock(T0)
    const app = appWithDatabase(tempDataDir(), clock)
    await app.register(keyPoolPlugin, { ...OPTIONS, balanceRefreshMinutes: 5 })
    await app.ready()
    expect(clock.nextDue()).toBe(T0 + 5 * 60_000)
    await app.close()
    expect(clock.pendingTimers()).toBe(0)
  })

  it('stops boot when ENCRYPTION_KEY does not match the stored keys', async () => {
    const dataDir = tempDataDir()
    const first = appWithDatabase(dataDir)
    await first.register(keyPoolPlugin, { ...OPTIONS, encryptionKey: 'a'.repeat(32) })
    await first.ready()
    await first.keyPool.add({ api_key: fakeKey(1) })
    await first.close()
    const second = appWithDatabase(dataDir)
    second.register(keyPoolPlugin, { ...OPTIONS, encryptionKey: 'b'.repeat(32) })
    await expect(second.ready()).rejects.toMatchObject({ code: 'SFP_ENCRYPTION_KEY_MISMATCH' })
  })

  it('needs the database plugin', async () => {
    const app = Fastify({ logger: false })
    apps.push(app)
    app.register(clockPlugin)
    app.register(keyPoolPlugin, OPTIONS)
    await expect(app.ready()).rejects.toThrow(/database/)
  })
})

describe('keyPoolSettings', () => {
  it('takes its Config slice as parsed, shortening the check timeout', () => {
    expect(keyPoolSettings(parseConfig({}))).toEqual({
      upstreamBaseUrl: 'https://api.siliconflow.cn',
      autoQueryBalanceAfterCalls: 10,
      lowBalanceThreshold: 1,
      balanceRefreshMinutes: 60,
      keyErrorThreshold: 5,
      keyErrorCooldownMinutes: 10,
      upstreamConnectTimeoutMs: 10_000,
      balanceCheckTimeoutMs: 15_000,
      encryptionKey: undefined,
    })
    const config = parseConfig({
      UPSTREAM_HEADERS_TIMEOUT_MS: '500',
      KEY_ERROR_THRESHOLD: '7',
      ENCRYPTION_KEY: 'e'.repeat(32),
    })
    expect(keyPoolSettings(config)).toMatchObject({
      balanceCheckTimeoutMs: 500,
      keyErrorThreshold: 7,
      encryptionKey: 'e'.repeat(32),
    })
  })
})
