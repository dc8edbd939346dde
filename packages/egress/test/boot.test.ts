import { SETTING } from '@sfp/db'
import { createManualClock } from '@sfp/test-support'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import {
  builtinId,
  fakeKeys,
  httpProxy,
  keyRow,
  memoryDatabase,
  proxy,
  startService,
  storedEgresses,
  upstream,
} from './helpers/harness.js'

describe('boot: the built-in direct egress', () => {
  it('is created on first boot, and only then', async () => {
    const db = memoryDatabase()
    const first = await startService({ db })
    expect(first.service.lanes()).toHaveLength(1)
    const [lane] = first.service.lanes()
    expect(lane).toMatchObject({ kind: 'direct', builtin: true, label: null })
    expect(lane?.state()).toBe('up')
    const rows = await storedEgresses(db)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      kind: 'direct',
      scheme: 'direct',
      builtin: true,
      localAddress: null,
      identity: 'direct|*',
    })

    const second = await startService({ db })
    expect(second.service.lanes().map((each) => each.id)).toEqual([lane?.id])
    expect(await storedEgresses(db)).toHaveLength(1)
    expect(second.keys.binds).toEqual([])
  })

  it('EGRESS_DIRECT_ADDRESS sets its local address on first boot', async () => {
    const { service } = await startService({ settings: { egressDirectAddress: '127.0.0.5' } })
    expect(service.list()).toMatchObject([
      { kind: 'direct', url: 'direct', localAddress: '127.0.0.5', state: 'up' },
    ])
  })

  it('a later EGRESS_DIRECT_ADDRESS updates it in place; unset, back to the OS choice', async () => {
    const db = memoryDatabase()
    const first = await startService({ db })
    const id = builtinId(first.service)
    await first.service.close()

    const second = await startService({ db, settings: { egressDirectAddress: '127.0.0.6' } })
    expect(builtinId(second.service)).toBe(id)
    expect(second.service.view(id).localAddress).toBe('127.0.0.6')
    expect(await storedEgresses(db)).toMatchObject([
      { id, localAddress: '127.0.0.6', identity: 'direct|127.0.0.6' },
    ])
    await second.service.close()

    const third = await startService({ db })
    expect(third.service.view(id).localAddress).toBeNull()
    expect(await storedEgresses(db)).toHaveLength(1)
  })

  // Fails against src/dispatchers.ts as written: `localAddress` inside `connect: {}` is
  // overridden by undici's connector (see the dispatchers test).
  it('the built-in egress dispatcher sends from EGRESS_DIRECT_ADDRESS', async () => {
    const mock = await upstream()
    const { service } = await startService({ settings: { egressDirectAddress: '127.0.0.6' } })
    const { body } = await request(`${mock.url}/v1/models`, {
      dispatcher: service.lane(builtinId(service))?.dispatcher,
    })
    await body.text()
    expect(mock.requests[0]?.sourceAddress).toBe('127.0.0.6')
  })
})

describe('boot: EGRESS_PROXIES', () => {
  it('creates each entry once, matched by kind, host and port', async () => {
    const db = memoryDatabase()
    const proxies = [
      proxy('http://alice:first-pass@127.0.0.1:3128'),
      proxy('socks5h://127.0.0.1:1080'),
      proxy('https://proxy.example.com:8443'),
    ]
    const first = await startService({ db, settings: { egressProxies: proxies } })
    expect(first.service.list().map((view) => view.url)).toEqual([
      'direct',
      'http://alice:***@127.0.0.1:3128',
      'socks5h://127.0.0.1:1080',
      'https://proxy.example.com:8443',
    ])
    expect(first.service.lanes().map((lane) => lane.kind)).toEqual([
      'direct',
      'http',
      'socks5',
      'https',
    ])
    expect((await storedEgresses(db)).filter((row) => row.fromEnv)).toHaveLength(3)

    const second = await startService({ db, settings: { egressProxies: proxies } })
    expect(second.service.lanes().map((lane) => lane.id)).toEqual(
      first.service.lanes().map((lane) => lane.id),
    )
    expect(await storedEgresses(db)).toHaveLength(4)
  })

  it('a second boot with a new password (or user) updates the entry, no duplicate', async () => {
    const db = memoryDatabase()
    const mock = await upstream()
    const real = await httpProxy({
      outgoingAddress: '127.0.0.2',
      auth: { username: 'alice', password: 'second-pass' },
    })
    const settings = (url: string) => ({
      upstreamBaseUrl: mock.url,
      egressProxies: [proxy(url)],
    })
    const first = await startService({
      db,
      settings: settings(`http://alice:first-pass@127.0.0.1:${real.port}`),
    })
    const id = first.service.lanes()[1]?.id ?? 0
    expect((await first.service.check(id)).ok).toBe(false)
    await first.service.close()

    const second = await startService({
      db,
      settings: settings(`http://alice:second-pass@127.0.0.1:${real.port}`),
    })
    expect(second.service.lanes().map((lane) => lane.id)).toEqual([builtinId(second.service), id])
    expect(await storedEgresses(db)).toHaveLength(2)
    expect((await storedEgresses(db))[1]?.password).toBe('second-pass')
    expect(await second.service.check(id)).toMatchObject({ ok: true, error: null })
    expect(mock.requests.at(-1)?.sourceAddress).toBe('127.0.0.2')

    await second.service.close()
    const third = await startService({
      db,
      settings: settings(`http://bob@127.0.0.1:${real.port}`),
    })
    expect(third.service.view(id).url).toBe(`http://bob@127.0.0.1:${real.port}`)
    expect((await storedEgresses(db))[1]).toMatchObject({ username: 'bob', password: null })
  })

  it('socks5 and socks5h of one host and port are the same egress (the scheme follows the list)', async () => {
    const db = memoryDatabase()
    await startService({ db, settings: { egressProxies: [proxy('socks5h://127.0.0.1:1080')] } })
    const { service } = await startService({
      db,
      settings: { egressProxies: [proxy('socks5://127.0.0.1:1080')] },
    })
    expect(service.list().map((view) => view.url)).toEqual(['direct', 'socks5://127.0.0.1:1080'])
  })

  it('an admin-made proxy matching a new EGRESS_PROXIES entry is taken over, not duplicated', async () => {
    const db = memoryDatabase()
    const first = await startService({ db })
    const made = await first.service.create({ url: 'http://127.0.0.1:3128', label: 'mine' })
    const { service } = await startService({
      db,
      settings: { egressProxies: [proxy('http://carol:pw@127.0.0.1:3128')] },
    })
    expect(service.list()).toHaveLength(2)
    expect(service.view(made.id)).toMatchObject({
      url: 'http://carol:***@127.0.0.1:3128',
      label: 'mine',
    })
  })
})

describe('boot: the single-IP memory moves onto the direct egress', () => {
  const LAST_USED = Date.UTC(2026, 0, 1, 11, 50)
  const LAST_SWITCH = Date.UTC(2026, 0, 1, 11, 0)

  it('guard memory, the key in use and every used key', async () => {
    const db = memoryDatabase()
    const { settings } = db.storage
    await settings.setJson(SETTING.switchGuard, {
      lastUsedKeyId: 2,
      lastUsedAt: LAST_USED,
      lastSwitchAt: LAST_SWITCH,
    })
    await settings.set(SETTING.currentKeyId, '2')
    const keys = fakeKeys([
      keyRow({ id: 1, lastUsedAt: LAST_SWITCH - 5000 }),
      keyRow({ id: 2, lastUsedAt: LAST_USED }),
      keyRow({ id: 3, lastUsedAt: null }),
      // Already bound to some lane: left alone.
      keyRow({ id: 4, lastUsedAt: LAST_USED, egressId: 99, egressUsedAt: LAST_USED }),
    ])
    const clock = createManualClock()
    const { service } = await startService({ db, keys, clock })
    const direct = builtinId(service)
    expect(service.guardMemory(direct)).toEqual({
      lastUsedKeyId: 2,
      lastUsedAt: LAST_USED,
      lastSwitchAt: LAST_SWITCH,
    })
    expect(keys.binds).toEqual([
      [1, direct, LAST_SWITCH - 5000],
      [2, direct, LAST_USED],
    ])
    expect(await settings.get(SETTING.switchGuard)).toBeUndefined()
    expect(await settings.get(SETTING.currentKeyId)).toBeUndefined()
    expect((await storedEgresses(db))[0]).toMatchObject({
      guardKeyId: 2,
      guardUsedAt: LAST_USED,
      guardSwitchAt: LAST_SWITCH,
    })

    // A second boot: nothing to migrate, nothing bound again, the memory stays.
    const again = fakeKeys([keyRow({ id: 1, lastUsedAt: LAST_USED })])
    const second = await startService({ db, keys: again, clock })
    expect(again.binds).toEqual([])
    expect(second.service.guardMemory(direct).lastUsedKeyId).toBe(2)
  })

  it('the key in use alone becomes the last used key', async () => {
    const db = memoryDatabase()
    await db.storage.settings.set(SETTING.currentKeyId, '7')
    const { service } = await startService({ db })
    expect(service.guardMemory(builtinId(service))).toEqual({
      lastUsedKeyId: 7,
      lastUsedAt: null,
      lastSwitchAt: null,
    })
  })

  it('a fresh database: empty memory, no binds', async () => {
    const keys = fakeKeys([keyRow({ id: 1 })])
    const { service } = await startService({ keys })
    expect(service.guardMemory(builtinId(service))).toEqual({
      lastUsedKeyId: null,
      lastUsedAt: null,
      lastSwitchAt: null,
    })
    expect(keys.binds).toEqual([])
  })

  const nonsense: [string, string | undefined, string | undefined][] = [
    ['JSON null', 'null', undefined],
    ['a JSON array', '[1,2,3]', 'abc'],
    ['a JSON string', '"hello"', ''],
    [
      'fields of the wrong types',
      '{"lastUsedKeyId":"2","lastUsedAt":"soon","lastSwitchAt":{}}',
      '-',
    ],
    ['a key id that is not a number', undefined, 'seven'],
    // Fails against src/egress-boot.ts as written: `settings.getJson` throws a SyntaxError.
    ['text that is not JSON at all', '{lastUsedKeyId: 2', undefined],
  ]
  for (const [name, guard, current] of nonsense) {
    it(`a stored value that makes no sense does not stop boot: ${name}`, async () => {
      const db = memoryDatabase()
      if (guard !== undefined) await db.storage.settings.set(SETTING.switchGuard, guard)
      if (current !== undefined) await db.storage.settings.set(SETTING.currentKeyId, current)
      const { service } = await startService({ db })
      const memory = service.guardMemory(builtinId(service))
      expect(memory.lastUsedAt).toBeNull()
      expect(memory.lastSwitchAt).toBeNull()
      expect(memory.lastUsedKeyId === null || Number.isFinite(memory.lastUsedKeyId)).toBe(true)
      expect(await db.storage.settings.get(SETTING.switchGuard)).toBeUndefined()
      expect(await db.storage.settings.get(SETTING.currentKeyId)).toBeUndefined()
    })
  }
})
