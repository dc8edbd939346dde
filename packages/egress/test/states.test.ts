import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { DOWN_FIRST_MS, DOWN_MAX_MS, downBackoffMs } from '../src/egress-states.js'
import {
  BLOCKED,
  httpProxy,
  memoryDatabase,
  nextChange,
  REFUSED,
  startService,
  storedEgresses,
  upstream,
} from './helpers/harness.js'

const iso = (ms: number) => new Date(ms).toISOString()

describe('down and its backoff', () => {
  it('30 s, doubling per failure in a row, capped at 10 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(downBackoffMs)).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000,
    ])
    expect(downBackoffMs(0)).toBe(DOWN_FIRST_MS)
    expect(DOWN_MAX_MS).toBe(600_000)
  })

  it('markDown: down with its reason and retry time, doubling for failures in a row', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    const lane = service.lane(id)
    let changes = 0
    service.onChange(() => {
      changes += 1
    })
    const delays: number[] = []
    for (let failure = 1; failure <= 7; failure += 1) {
      service.markDown(id, REFUSED)
      delays.push((lane?.backAt() ?? 0) - clock.now())
    }
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000])
    expect(changes).toBe(7)
    expect(lane?.state()).toBe('down')
    expect(lane?.reason()).toBe('the proxy refused the connection (ECONNREFUSED)')
    expect(service.view(id)).toMatchObject({
      state: 'down',
      stateReason: 'the proxy refused the connection (ECONNREFUSED)',
      retryAt: iso(clock.now() + 600_000),
      blockedUntil: null,
    })
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      state: 'down',
      failures: 7,
      retryAt: clock.now() + 600_000,
    })
    // One re-check timer, not one per markDown.
    expect(clock.pendingTimers()).toBe(1)
    expect(clock.nextDue()).toBe(clock.now() + 600_000)
  })

  it('markDown of an unknown id does nothing', async () => {
    const { service } = await startService()
    expect(() => service.markDown(999, REFUSED)).not.toThrow()
    expect(() => service.markBlocked(999, BLOCKED)).not.toThrow()
    expect(() => service.recordCall(999, true)).not.toThrow()
  })

  it('at retryAt it is checked through the egress: killed stays down (doubled), restarted is up (failures reset)', async () => {
    const mock = await upstream()
    const real = await httpProxy({ outgoingAddress: '127.0.0.2' })
    const clock = createManualClock()
    const { service, db } = await startService({ clock, settings: { upstreamBaseUrl: mock.url } })
    const { id } = await service.create({ url: `http://127.0.0.1:${real.port}` })
    const lane = service.lane(id)
    await real.kill()
    service.markDown(id, REFUSED)
    expect(lane?.backAt()).toBe(clock.now() + 30_000)

    // Not a moment before its time.
    clock.advance(29_999)
    expect(clock.pendingTimers()).toBe(1)
    let changed = nextChange(service)
    clock.advance(1)
    await changed
    expect(lane?.state()).toBe('down')
    expect(lane?.backAt()).toBe(clock.now() + 60_000)
    expect(lane?.reason()).toContain('ECONNREFUSED')
    expect((await storedEgresses(db)).find((row) => row.id === id)?.failures).toBe(2)

    await real.restart()
    changed = nextChange(service)
    clock.advance(60_000)
    await changed
    expect(lane?.state()).toBe('up')
    expect(lane?.backAt()).toBeNull()
    expect(lane?.reason()).toBeNull()
    expect(service.view(id)).toMatchObject({ state: 'up', stateReason: null, retryAt: null })
    // The re-check went to the upstream through the proxy, without a key.
    expect(mock.requests).toHaveLength(1)
    expect(mock.requests[0]).toMatchObject({ path: '/v1/models', sourceAddress: '127.0.0.2' })
    expect(mock.requests[0]?.headers.authorization).toBeUndefined()
    expect(clock.pendingTimers()).toBe(0)

    // Failures were reset: the next one rests 30 s again.
    service.markDown(id, REFUSED)
    expect(lane?.backAt()).toBe(clock.now() + 30_000)
  })

  it('recordCall(id, true) brings a down egress back up; a failed call does not', async () => {
    const clock = createManualClock()
    const { service } = await startService({ clock })
    const { id } = await service.create({ url: 'socks5://127.0.0.1:1080' })
    service.markDown(id, REFUSED)
    service.recordCall(id, false)
    expect(service.lane(id)?.state()).toBe('down')
    let changes = 0
    service.onChange(() => {
      changes += 1
    })
    service.recordCall(id, true)
    expect(service.lane(id)?.state()).toBe('up')
    expect(changes).toBe(1)
    // The re-check timer went with it, and the counters were written with the state.
    expect(clock.pendingTimers()).toBe(0)
    clock.advance(10 * 60_000)
    expect(service.lane(id)?.state()).toBe('up')
    // An up egress reporting success again is no change.
    service.recordCall(id, true)
    expect(changes).toBe(1)
  })

  it('a state kept in the database survives a restart, with its re-check', async () => {
    const clock = createManualClock()
    const db = memoryDatabase()
    const first = await startService({ db, clock })
    const { id } = await first.service.create({ url: 'http://127.0.0.1:3128' })
    first.service.markDown(id, REFUSED)
    const retryAt = first.service.lane(id)?.backAt()
    await first.service.close()
    expect(clock.pendingTimers()).toBe(0)

    const second = await startService({ db, clock })
    expect(second.service.lane(id)?.state()).toBe('down')
    expect(second.service.lane(id)?.backAt()).toBe(retryAt)
    expect(clock.nextDue()).toBe(retryAt)
  })
})

describe('blocked', () => {
  const BLOCK_MS = 30 * 60_000

  it('markBlocked: blocked until now + EGRESS_BLOCK_MINUTES, then up when the timer fires', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock, settings: { egressBlockMinutes: 30 } })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    const lane = service.lane(id)
    let changes = 0
    service.onChange(() => {
      changes += 1
    })
    const blockedAt = clock.now()
    service.markBlocked(id, BLOCKED)
    expect(changes).toBe(1)
    expect(lane?.state()).toBe('blocked')
    expect(lane?.backAt()).toBe(blockedAt + BLOCK_MS)
    expect(lane?.reason()).toBe('upstream answered HTTP 403 with a block code')
    expect(service.view(id)).toMatchObject({
      state: 'blocked',
      stateReason: 'upstream answered HTTP 403 with a block code',
      blockedUntil: iso(blockedAt + BLOCK_MS),
      retryAt: null,
    })
    // A success does not lift a block; only time does.
    service.recordCall(id, true)
    expect(lane?.state()).toBe('blocked')

    clock.advance(BLOCK_MS - 1)
    expect(lane?.state()).toBe('blocked')
    clock.advance(1)
    expect(lane?.state()).toBe('up')
    expect(changes).toBe(2)
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      state: 'up',
      blockedUntil: null,
      stateReason: null,
    })
  })

  it('an expired block is up even before its timer has run', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock, settings: { egressBlockMinutes: 0.5 } })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    const lane = service.lane(id)
    service.markBlocked(id, BLOCKED)
    const until = clock.now() + 30_000
    expect(lane?.state(until - 1)).toBe('blocked')
    expect(lane?.state(until)).toBe('up')

    clock.jump(30_000) // the timer is late
    expect((await storedEgresses(db)).find((row) => row.id === id)?.state).toBe('blocked')
    expect(lane?.state()).toBe('up')
    expect(lane?.reason()).toBeNull()
    expect(lane?.backAt()).toBeNull()
    expect(service.view(id)).toMatchObject({ state: 'up', stateReason: null, blockedUntil: null })

    let changes = 0
    service.onChange(() => {
      changes += 1
    })
    clock.advance(0)
    expect(changes).toBe(1)
    expect((await storedEgresses(db)).find((row) => row.id === id)?.state).toBe('up')
  })

  it('down after blocked forgets the block; blocked after down forgets the retry', async () => {
    const clock = createManualClock()
    const { service } = await startService({ clock })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    service.markBlocked(id, BLOCKED)
    service.markDown(id, REFUSED)
    expect(service.view(id)).toMatchObject({ state: 'down', blockedUntil: null })
    service.markBlocked(id, BLOCKED)
    expect(service.view(id)).toMatchObject({ state: 'blocked', retryAt: null })
    expect(clock.pendingTimers()).toBe(1)
  })

  it('a disabled egress shows disabled whatever its stored state', async () => {
    const clock = createManualClock()
    const { service } = await startService({ clock })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    service.markBlocked(id, BLOCKED)
    service.update(id, { enabled: false })
    expect(service.view(id)).toMatchObject({
      state: 'disabled',
      stateReason: 'disabled by admin',
      blockedUntil: null,
    })
    expect(service.lane(id)?.backAt()).toBeNull()
  })
})

describe('onChange', () => {
  it('fires on each transition; an unsubscribed listener no more; a throwing one does not stop the rest', async () => {
    const clock = createManualClock()
    const warnings: string[] = []
    const { service } = await startService({
      clock,
      log: { info: () => {}, warn: (_fields, message) => warnings.push(message) },
    })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    const heard: string[] = []
    service.onChange(() => {
      throw new Error('listener bug')
    })
    const stop = service.onChange(() => heard.push(service.lane(id)?.state() ?? 'gone'))
    service.markDown(id, REFUSED)
    service.recordCall(id, true)
    service.markBlocked(id, BLOCKED)
    clock.advance(30 * 60_000)
    service.update(id, { enabled: false })
    stop()
    service.update(id, { enabled: true })
    expect(heard).toEqual(['down', 'up', 'blocked', 'up', 'disabled'])
    expect(warnings.filter((message) => message === 'egress change listener failed')).toHaveLength(
      6,
    )
  })
})

describe('usage counters', () => {
  it('are written behind within a second', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    const stored = async () => (await storedEgresses(db)).find((row) => row.id === id)
    service.recordCall(id, true)
    clock.advance(100)
    service.recordCall(id, true)
    service.recordCall(id, false)
    const lastUsed = clock.now()
    expect(service.view(id)).toMatchObject({
      requestCount: 3,
      errorCount: 1,
      lastUsedAt: iso(lastUsed),
    })
    expect(await stored()).toMatchObject({ requestCount: 0, errorCount: 0, lastUsedAt: null })
    clock.advance(899)
    expect((await stored())?.requestCount).toBe(0)
    clock.advance(1)
    expect(await stored()).toMatchObject({ requestCount: 3, errorCount: 1, lastUsedAt: lastUsed })
    expect(clock.pendingTimers()).toBe(0)
  })

  it('are written on close(), and timers are stopped', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    service.markDown(id, REFUSED)
    service.recordCall(id, false)
    service.recordCall(id, false)
    await service.close()
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      requestCount: 2,
      errorCount: 2,
    })
    expect(clock.pendingTimers()).toBe(0)
    // Calls ending after close are not counted (nothing would write them).
    service.recordCall(id, true)
    expect(clock.pendingTimers()).toBe(0)
  })

  it('a state change writes pending counters with it', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    service.recordCall(id, false)
    service.markDown(id, REFUSED)
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      state: 'down',
      requestCount: 1,
      errorCount: 1,
    })
  })
})
