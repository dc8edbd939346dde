import type { EgressView } from '@sfp/schemas'
import { createManualClock, START } from '@sfp/test-support'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { EgressBuiltin, EgressExists, EgressNotFound } from '../src/errors.js'
import {
  builtinId,
  fakeKeys,
  httpProxy,
  rejectionOf,
  startService,
  storedEgresses,
  thrownBy,
  upstream,
} from './helpers/harness.js'

describe('create', () => {
  it('a direct egress with a local address', async () => {
    const clock = createManualClock()
    const { service } = await startService({ clock })
    const view = await service.create({
      url: 'direct',
      localAddress: '127.0.0.7',
      label: 'second IP',
    })
    expect(view).toMatchObject({
      kind: 'direct',
      url: 'direct',
      localAddress: '127.0.0.7',
      label: 'second IP',
      enabled: true,
      state: 'up',
      stateReason: null,
      requestCount: 0,
      errorCount: 0,
      createdAt: new Date(START).toISOString(),
    })
    expect(service.lane(view.id)).toMatchObject({ kind: 'direct', builtin: false })
    expect(service.list().map((each) => each.id)).toEqual([builtinId(service), view.id])
  })

  it('proxies of each scheme', async () => {
    const { service, db } = await startService()
    const urls = [
      'http://127.0.0.1:3128',
      'https://user:pw@proxy.example.com:8443',
      'socks5://127.0.0.1:1080',
      'socks5h://u@[::1]:1081',
    ]
    const views: EgressView[] = []
    for (const url of urls) views.push(await service.create({ url }))
    expect(views.map((view) => [view.kind, view.url])).toEqual([
      ['http', 'http://127.0.0.1:3128'],
      ['https', 'https://user:***@proxy.example.com:8443'],
      ['socks5', 'socks5://127.0.0.1:1080'],
      ['socks5', 'socks5h://u@[::1]:1081'],
    ])
    expect(views.every((view) => view.localAddress === null && view.state === 'up')).toBe(true)
    expect((await storedEgresses(db)).map((row) => row.identity)).toEqual([
      'direct|*',
      'http|127.0.0.1:3128',
      'https|proxy.example.com:8443',
      'socks5|127.0.0.1:1080',
      'socks5|[::1]:1081',
    ])
    expect((await storedEgresses(db)).every((row) => !row.fromEnv)).toBe(true)
  })

  it('an empty label is no label', async () => {
    const { service } = await startService()
    expect((await service.create({ url: 'http://127.0.0.1:3128', label: '' })).label).toBeNull()
  })

  it('the same proxy twice is EgressExists (409), whatever the credentials, socks5 or socks5h', async () => {
    const { service } = await startService()
    const http = await service.create({ url: 'http://alice:one@127.0.0.1:3128' })
    const socks = await service.create({ url: 'socks5h://127.0.0.1:1080' })
    const cases: [string, number][] = [
      ['http://alice:one@127.0.0.1:3128', http.id],
      ['http://bob:two@127.0.0.1:3128', http.id],
      ['http://127.0.0.1:3128', http.id],
      ['HTTP://127.0.0.1:3128/', http.id],
      ['socks5://carol:x@127.0.0.1:1080', socks.id],
      ['socks5h://127.0.0.1:1080', socks.id],
    ]
    for (const [url, existing] of cases) {
      const error = await rejectionOf(service.create({ url }))
      expect(error).toBeInstanceOf(EgressExists)
      expect(error).toMatchObject({ statusCode: 409, code: 'SFP_EGRESS_EXISTS' })
      expect((error as Error).message).toContain(`#${existing}`)
      expect((error as Error).message).not.toContain('127.0.0.1')
    }
    // Another kind on the same host and port is another way out.
    expect((await service.create({ url: 'https://127.0.0.1:3128' })).kind).toBe('https')
    expect(service.list()).toHaveLength(4)
  })

  it('direct twice with the same local address is EgressExists; with none, the built-in one', async () => {
    const { service } = await startService()
    const made = await service.create({ url: 'direct', localAddress: '127.0.0.7' })
    const again = await rejectionOf(service.create({ url: 'direct', localAddress: '127.0.0.7' }))
    expect(again).toMatchObject({ statusCode: 409, code: 'SFP_EGRESS_EXISTS' })
    expect((again as Error).message).toContain(`#${made.id}`)
    const plain = await rejectionOf(service.create({ url: 'direct' }))
    expect(plain).toBeInstanceOf(EgressExists)
    expect((plain as Error).message).toContain(`#${builtinId(service)}`)
    expect((await service.create({ url: 'direct', localAddress: '127.0.0.8' })).localAddress).toBe(
      '127.0.0.8',
    )
  })

  it('tells onChange listeners', async () => {
    const { service } = await startService()
    let changes = 0
    service.onChange(() => {
      changes += 1
    })
    await service.create({ url: 'socks5://127.0.0.1:1080' })
    expect(changes).toBe(1)
    await rejectionOf(service.create({ url: 'socks5://127.0.0.1:1080' }))
    expect(changes).toBe(1)
  })
})

describe('update', () => {
  it('label and enabled; disabled is a state with its reason', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    let changes = 0
    service.onChange(() => {
      changes += 1
    })

    expect(service.update(id, { label: 'office' }).label).toBe('office')
    expect(service.lane(id)?.label).toBe('office')
    const disabled = service.update(id, { enabled: false })
    expect(disabled).toMatchObject({
      enabled: false,
      state: 'disabled',
      stateReason: 'disabled by admin',
      label: 'office',
    })
    expect(service.lane(id)?.state()).toBe('disabled')
    expect(service.lane(id)?.reason()).toBe('disabled by admin')
    expect(service.lane(id)?.backAt()).toBeNull()
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      enabled: false,
      label: 'office',
    })

    expect(service.update(id, { enabled: true, label: '' })).toMatchObject({
      enabled: true,
      state: 'up',
      stateReason: null,
      label: null,
    })
    expect(service.update(id, { label: null }).label).toBeNull()
    expect(changes).toBe(4)
  })

  it('the built-in one can be disabled by the admin too', async () => {
    const { service } = await startService()
    const id = builtinId(service)
    expect(service.update(id, { enabled: false })).toMatchObject({
      state: 'disabled',
      stateReason: 'disabled by admin',
    })
  })

  it('an unknown id is EgressNotFound (404)', async () => {
    const { service } = await startService()
    for (const error of [
      thrownBy(() => service.update(999, { enabled: false })),
      thrownBy(() => service.view(999)),
      await rejectionOf(service.remove(999)),
      thrownBy(() => service.guardMemory(999)),
    ]) {
      expect(error).toBeInstanceOf(EgressNotFound)
      expect(error).toMatchObject({ statusCode: 404, code: 'SFP_NOT_FOUND' })
    }
  })
})

describe('EGRESS_DIRECT=false', () => {
  it('the built-in one is disabled, with that reason; created ones are not', async () => {
    const { service } = await startService({ settings: { egressDirect: false } })
    const id = builtinId(service)
    expect(service.view(id)).toMatchObject({
      enabled: true,
      state: 'disabled',
      stateReason: 'EGRESS_DIRECT=false',
    })
    expect(service.lane(id)?.state()).toBe('disabled')
    expect(service.lane(id)?.reason()).toBe('EGRESS_DIRECT=false')
    // Enabling it does not override the setting.
    expect(service.update(id, { enabled: true }).state).toBe('disabled')
    const other = await service.create({ url: 'direct', localAddress: '127.0.0.7' })
    expect(other.state).toBe('up')
  })
})

describe('remove', () => {
  it('the built-in direct egress cannot be removed (EgressBuiltin, 409)', async () => {
    const { service } = await startService()
    const id = builtinId(service)
    const error = await rejectionOf(service.remove(id))
    expect(error).toBeInstanceOf(EgressBuiltin)
    expect(error).toMatchObject({ statusCode: 409, code: 'SFP_EGRESS_BUILTIN' })
    expect(service.lane(id)).toBeDefined()
  })

  it('a proxy: its keys unbound with the last use, dispatcher closed, gone', async () => {
    const mock = await upstream()
    const real = await httpProxy({ outgoingAddress: '127.0.0.2' })
    const clock = createManualClock()
    const keys = fakeKeys()
    const { service, db } = await startService({
      clock,
      keys,
      settings: { upstreamBaseUrl: mock.url },
    })
    const { id } = await service.create({ url: `http://127.0.0.1:${real.port}` })
    const other = await service.create({ url: 'socks5://127.0.0.1:1080' })
    const lane = service.lane(id)
    if (!lane) throw new Error('no lane')
    const used = clock.now() - 1000
    // Not written yet (a same-key use waits for the write-behind): the row in memory holds it.
    const memory = { lastUsedKeyId: 5, lastUsedAt: used, lastSwitchAt: used }
    service.saveGuardMemory(id, memory, used, false)
    // It works before removal.
    const before = await request(`${mock.url}/v1/models`, { dispatcher: lane.dispatcher })
    await before.body.text()
    expect(mock.requests[0]?.sourceAddress).toBe('127.0.0.2')

    let changes = 0
    service.onChange(() => {
      changes += 1
      keys.trace.push('changed')
    })
    await service.remove(id)

    expect(keys.trace).toEqual([`unbind ${id}`, 'changed'])
    expect(keys.unbinds).toEqual([[id, { keyId: 5, usedAt: used }]])
    expect(changes).toBe(1)
    expect(service.lane(id)).toBeUndefined()
    expect(service.lanes().map((each) => each.id)).toEqual([builtinId(service), other.id])
    expect(service.list().map((view) => view.id)).toEqual([builtinId(service), other.id])
    expect(thrownBy(() => service.view(id))).toBeInstanceOf(EgressNotFound)
    expect((await storedEgresses(db)).map((row) => row.id)).not.toContain(id)
    // Its dispatcher refuses from now on; whatever is still sent through it is the way out's.
    const error = await rejectionOf(
      request(`${mock.url}/v1/models`, { dispatcher: lane.dispatcher }),
    )
    expect(error).toMatchObject({ code: 'UND_ERR_CLOSED' })
    expect(service.isWayOutFailure(id, error)).toBe(true)
    expect(mock.requests).toHaveLength(1)
  })

  it('a proxy with no memory unbinds with no last use', async () => {
    const keys = fakeKeys()
    const { service } = await startService({ keys })
    const { id } = await service.create({ url: 'http://127.0.0.1:3128' })
    await service.remove(id)
    expect(keys.unbinds).toEqual([[id, null]])
  })
})
