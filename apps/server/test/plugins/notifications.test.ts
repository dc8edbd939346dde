import { createManualClock } from '@sfp/test-support'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createConditionWatcher, type WatchedSources } from '../../src/plugins/notifications.js'
import {
  type NotificationReceiver,
  startNotificationReceiver,
} from '../helpers/notification-receiver.js'
import { buildTestApp, tempDataDir } from '../helpers/test-app.js'

const KEY = `sk-watched-${'w'.repeat(40)}`
const WATCH_INTERVAL_MS = 5_000

const upstreams: MockUpstream[] = []
afterEach(async () => {
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

/**
 * The whole server on a manual clock in front of the look-alike upstream, which knows no key (so
 * a check makes a key `invalid`).
 */
async function watchedApp(dataDir = tempDataDir()) {
  const upstream = await startMockUpstream({ accounts: {}, acceptAnyKey: false })
  upstreams.push(upstream)
  const clock = createManualClock()
  const test = await buildTestApp(
    {
      UPSTREAM_BASE_URL: upstream.url,
      AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
      BALANCE_REFRESH_MINUTES: '0',
    },
    { clock, dataDir },
  )
  return { ...test, clock, upstream }
}

/**
 * Resolves once the notifier has nothing queued or in flight (a bounded poll): the manual clock
 * must not move while a message is in flight, or its timeout fires.
 */
async function delivered(app: FastifyInstance): Promise<void> {
  for (let poll = 0; app.notifications.status().queued > 0; poll++) {
    if (poll > 200) throw new Error('notifications still queued after 2 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const events = (receiver: NotificationReceiver) =>
  receiver.received.map((message) => [message.json.event, message.json.subject])

describe('notifications watcher', () => {
  it('tells key_invalid once for a key that turned invalid, then its recovery', async () => {
    const receiver = await startNotificationReceiver()
    const { app, clock } = await watchedApp()
    await app.notifications.create({
      kind: 'webhook',
      label: null,
      url: `${receiver.url}/hook`,
      secret: null,
      chatId: null,
      events: ['key_invalid', 'key_invalid_recovered'],
      enabled: true,
      language: 'en',
    })
    const [key] = (await app.keyPool.add({ api_key: KEY, label: 'main' })).added
    if (key === undefined) throw new Error('key not added')
    await app.keyPool.check(key.id).catch(() => undefined)
    expect(app.keyPool.view(key.id)?.status).toBe('invalid')

    clock.advance(WATCH_INTERVAL_MS)
    const [raised] = await receiver.waitFor(1)
    expect(raised?.json).toMatchObject({
      event: 'key_invalid',
      severity: 'warning',
      subject: `${key.maskedKey} (main)`,
    })
    expect(raised?.body).not.toContain(KEY)
    await delivered(app)

    // Later passes while it stays invalid tell nothing more.
    clock.advance(3 * WATCH_INTERVAL_MS)
    app.dispatch.activate(key.id)
    clock.advance(WATCH_INTERVAL_MS)
    await receiver.waitFor(2)
    await delivered(app)
    expect(events(receiver)).toEqual([
      ['key_invalid', `${key.maskedKey} (main)`],
      ['key_invalid_recovered', `${key.maskedKey} (main)`],
    ])
    expect(app.notifications.status()).toMatchObject({ activeConditions: 0, queued: 0 })
    expect(app.notifications.view(1)?.lastSentAt).toEqual(expect.any(String))
  })

  it('forgets a key the admin disables: no recovery is told', async () => {
    const receiver = await startNotificationReceiver()
    const { app, clock } = await watchedApp()
    await app.notifications.create({
      kind: 'webhook',
      label: null,
      url: `${receiver.url}/hook`,
      secret: null,
      chatId: null,
      events: ['key_invalid', 'key_invalid_recovered'],
      enabled: true,
      language: 'zh',
    })
    const [key] = (await app.keyPool.add({ api_key: KEY })).added
    if (key === undefined) throw new Error('key not added')
    await app.keyPool.check(key.id).catch(() => undefined)
    clock.advance(WATCH_INTERVAL_MS)
    await receiver.waitFor(1)
    await delivered(app)

    app.keyPool.update(key.id, { enabled: false })
    clock.advance(WATCH_INTERVAL_MS)
    // Enabled again and active: the condition was forgotten, so no recovery is queued.
    app.dispatch.activate(key.id)
    clock.advance(WATCH_INTERVAL_MS)
    expect(app.notifications.status()).toMatchObject({ activeConditions: 0, queued: 0 })
    expect(events(receiver)).toEqual([['key_invalid', key.maskedKey]])
  })

  it('reloads its targets after a restart and tells again what still holds at boot', async () => {
    const receiver = await startNotificationReceiver()
    const dataDir = tempDataDir()
    const first = await watchedApp(dataDir)
    const target = await first.app.notifications.create({
      kind: 'webhook',
      label: 'ops',
      url: `${receiver.url}/hook`,
      secret: 'restart-secret',
      chatId: null,
      events: ['key_invalid'],
      enabled: true,
      language: 'zh',
    })
    const [key] = (await first.app.keyPool.add({ api_key: KEY })).added
    if (key === undefined) throw new Error('key not added')
    await first.app.keyPool.check(key.id).catch(() => undefined)
    first.clock.advance(WATCH_INTERVAL_MS)
    await receiver.waitFor(1)
    await delivered(first.app)
    await first.app.close()

    const second = await watchedApp(dataDir)
    expect(second.app.notifications.list().notifications).toEqual([
      { ...target, lastSentAt: expect.any(String) },
    ])
    // The first pass runs at boot: the key is still invalid.
    await receiver.waitFor(2)
    await delivered(second.app)
    expect(events(receiver)).toEqual([
      ['key_invalid', key.maskedKey],
      ['key_invalid', key.maskedKey],
    ])
  })
})

type Sources = WatchedSources
type KeyRow = ReturnType<Sources['keys']> extends Iterable<infer Row> ? Row : never
type Egress = ReturnType<Sources['egresses']>[number]

/** The watcher alone, over plain values, telling a notifier that records each call. */
function watcherOver(state: {
  keys: KeyRow[]
  egresses: Egress[]
  dispatch: ReturnType<Sources['dispatch']>
}) {
  const calls: string[] = []
  const watch = createConditionWatcher({
    sources: {
      keys: () => state.keys,
      egresses: () => state.egresses,
      dispatch: () => state.dispatch,
    },
    notifier: {
      raise: (condition) =>
        calls.push(
          `raise ${condition.event} ${condition.subjectId} ${JSON.stringify(condition.facts)}`,
        ),
      clear: (event, subjectId) => calls.push(`clear ${event} ${subjectId}`),
      forget: (subjectId) => calls.push(`forget ${subjectId}`),
    },
    lowBalanceThreshold: 1,
    queueFullAfterMs: 60_000,
  })
  return { calls, watch }
}

const keyRow = (id: number, fields: Partial<KeyRow> = {}): KeyRow => ({
  id,
  status: 'active',
  maskedKey: `sk-…${id}`,
  label: null,
  balance: 10,
  spent: null,
  lastError: null,
  ...fields,
})

const egress = (id: number, fields: Partial<Egress> = {}): Egress => ({
  id,
  label: null,
  url: 'direct',
  state: 'up',
  stateReason: null,
  blockedUntil: null,
  ...fields,
})

describe('condition watcher', () => {
  const T = 1_000_000

  it('raises what holds at the first pass and only changes after it', () => {
    const state = {
      keys: [keyRow(1), keyRow(2, { status: 'error', lastError: 'HTTP 500\n  twice' })],
      egresses: [egress(1), egress(2, { state: 'down', stateReason: 'ECONNREFUSED' })],
      dispatch: { queued: 0, queueMax: 10, refusal: null },
    }
    const { calls, watch } = watcherOver(state)
    watch(T)
    expect(calls.splice(0)).toEqual([
      'raise key_error key:2 {"detail":"HTTP 500 twice"}',
      'raise egress_down egress:2 {"detail":"ECONNREFUSED"}',
    ])
    watch(T + 5_000)
    expect(calls).toEqual([])

    state.keys = [keyRow(1, { balance: 0.5 }), keyRow(2)]
    state.egresses = [
      egress(1, { state: 'blocked', blockedUntil: new Date(T + 60_000).toISOString() }),
      egress(2),
    ]
    watch(T + 10_000)
    expect(calls.splice(0)).toEqual([
      'clear key_error key:2',
      'clear egress_down egress:2',
      'raise balance_low key:1 {"balance":0.5,"threshold":1,"estimated":false}',
      `raise egress_blocked egress:1 {"until":${T + 60_000}}`,
    ])

    // A key whose known balance is fine but whose priced spend since brings the estimate low.
    state.keys = [keyRow(1, { balance: 0.5 }), keyRow(2, { balance: 3, spent: 2.25 })]
    watch(T + 15_000)
    expect(calls.splice(0)).toEqual([
      'raise balance_low key:2 {"balance":0.75,"threshold":1,"estimated":true}',
    ])
  })

  it('forgets what was deleted or disabled instead of telling a recovery', () => {
    const state = {
      keys: [keyRow(1, { status: 'invalid' }), keyRow(2, { status: 'insufficient', balance: 0 })],
      egresses: [egress(1), egress(2, { state: 'down' }), egress(3, { state: 'down' })],
      dispatch: { queued: 0, queueMax: 10, refusal: null },
    }
    const { calls, watch } = watcherOver(state)
    watch(T)
    calls.splice(0)
    state.keys = [keyRow(2, { status: 'disabled', balance: 0 })]
    state.egresses = [egress(1), egress(2, { state: 'disabled' })]
    watch(T + 5_000)
    expect(calls).toEqual(['forget key:1', 'forget key:2', 'forget egress:2', 'forget egress:3'])
  })

  it('pool_exhausted while dispatch refuses for want of a key or lane, not for a guard wait', () => {
    const state = {
      keys: [keyRow(1, { status: 'cooling' })],
      egresses: [egress(1)],
      dispatch: {
        queued: 0,
        queueMax: 10,
        refusal: { code: 'key_switch_guard', retryAfterSeconds: 30 } as {
          code: string
          retryAfterSeconds: number | null
        } | null,
      },
    }
    const { calls, watch } = watcherOver(state)
    watch(T)
    expect(calls).toEqual([])
    state.dispatch.refusal = { code: 'no_available_egress', retryAfterSeconds: 30 }
    watch(T + 5_000)
    expect(calls.splice(0)).toEqual([`raise pool_exhausted pool {"nextAt":${T + 35_000}}`])
    state.dispatch.refusal = null
    watch(T + 10_000)
    expect(calls).toEqual(['clear pool_exhausted pool'])
  })

  it('queue_full once the queue has stayed full for a minute, cleared when it has room', () => {
    const state = {
      keys: [keyRow(1)],
      egresses: [egress(1)],
      dispatch: { queued: 10, queueMax: 10, refusal: null },
    }
    const { calls, watch } = watcherOver(state)
    watch(T)
    watch(T + 55_000)
    expect(calls).toEqual([])
    state.dispatch.queued = 3
    watch(T + 60_000)
    state.dispatch.queued = 10
    watch(T + 65_000)
    watch(T + 120_000)
    expect(calls).toEqual([])
    watch(T + 125_000)
    expect(calls.splice(0)).toEqual(['raise queue_full queue {"waiting":10,"forMs":60000}'])
    state.dispatch.queued = 9
    watch(T + 130_000)
    expect(calls).toEqual(['clear queue_full queue'])
  })
})
