import type { EgressPatch, EgressRow, Storage } from '@sfp/db'
import { createManualClock } from '@sfp/test-support'
import { type Dispatcher, request } from 'undici'
import { describe, expect, it } from 'vitest'
import {
  builtinId,
  httpProxy,
  memoryDatabase,
  rejectionOf,
  startService,
  storedEgresses,
  type TestDatabase,
  upstream,
  writesLanded,
} from './helpers/harness.js'

/**
 * The egress service in cluster mode (docs/behaviour.md §9): `settings.instanceId` set, as the
 * plugin does on PostgreSQL. Here on SQLite, whose storage has the same contract.
 */

const A = 'instance-a'
const B = 'instance-b'

/** Any `sk-` key: the mock upstream accepts it. */
const CALLER_KEY = 'sk-cluster-mode-caller-0001'

const MEMORY = { lastUsedKeyId: 7, lastUsedAt: 1_000, lastSwitchAt: 900 }

interface FencedWrite {
  id: number
  patch: EgressPatch
  fence: { instanceId: string; token: number }
}

/**
 * A test database whose egress writes are recorded; fenced ones apply (or are refused, as
 * `refuseFenced` says) like PostgreSQL's with a lease row current or not.
 */
function recordingDatabase(): TestDatabase & {
  updates: { id: number; patch: EgressPatch }[]
  fenced: FencedWrite[]
  refuseFenced: boolean
} {
  const base = memoryDatabase()
  const recorded = {
    updates: [] as { id: number; patch: EgressPatch }[],
    fenced: [] as FencedWrite[],
    refuseFenced: false,
  }
  const egresses: Storage['egresses'] = {
    ...base.storage.egresses,
    async update(id, patch) {
      recorded.updates.push({ id, patch })
      await base.storage.egresses.update(id, patch)
    },
    async updateFenced(id, patch, fence) {
      recorded.fenced.push({ id, patch, fence })
      if (recorded.refuseFenced) return false
      await base.storage.egresses.update(id, patch)
      return true
    },
  }
  return Object.assign(recorded, {
    handle: base.handle,
    storage: { ...base.storage, egresses },
  })
}

/**
 * Instance A's built-in lane with a fence the database refuses: the lease row names another
 * holder now (a stall past the lease), as PostgreSQL's conditional write finds it.
 */
async function laneOfAnotherHolder() {
  const db = recordingDatabase()
  db.refuseFenced = true
  const clock = createManualClock()
  const { service } = await startService({ db, clock, settings: { instanceId: A } })
  service.useLaneFences((egressId) => ({ egressId, instanceId: A, token: 1 }))
  return { db, clock, service, id: builtinId(service) }
}

/** What a request through `dispatcher` to the mock upstream gets: its status, or the error code. */
async function tryThrough(dispatcher: Dispatcher, origin: string): Promise<number | string> {
  try {
    const { statusCode, body } = await request(`${origin}/v1/models`, {
      dispatcher,
      headers: { authorization: `Bearer ${CALLER_KEY}` },
    })
    await body.text()
    return statusCode
  } catch (error) {
    return String((error as { code?: unknown }).code ?? error)
  }
}

describe('cluster mode: each instance its own direct egress', () => {
  it('names the built-in direct egress after the instance', async () => {
    const { service, db } = await startService({ settings: { instanceId: A } })
    const rows = await storedEgresses(db)
    expect(rows).toMatchObject([{ kind: 'direct', builtin: true, identity: `direct@${A}|*` }])
    expect(service.lanes().map((lane) => lane.id)).toEqual([rows[0]?.id])
  })

  it('a second instance makes its own direct row and does not drive (or list) the first’s', async () => {
    const db = memoryDatabase()
    const first = await startService({ db, settings: { instanceId: A } })
    const { id: shared } = await first.service.create({ url: 'http://127.0.0.1:20001' })
    const second = await startService({ db, settings: { instanceId: B } })
    const rows = await storedEgresses(db)
    const directOf = (id: string) => rows.find((row) => row.identity === `direct@${id}|*`)?.id
    const directA = directOf(A)
    const directB = directOf(B)
    expect(directA).toBeDefined()
    expect(directB).toBeDefined()
    expect(directB).not.toBe(directA)
    expect(rows.filter((row) => row.builtin)).toHaveLength(2)
    expect(builtinId(second.service)).toBe(directB)
    // Proxies are shared; another instance's direct egress is not a lane here.
    expect(second.service.lanes().map((lane) => lane.id)).toEqual([shared, directB])
    expect(second.service.list().map((view) => view.id)).toEqual([shared, directB])
    await first.service.reload()
    expect(first.service.lanes().map((lane) => lane.id)).toEqual([directA, shared])
    expect(first.service.list().map((view) => view.id)).toEqual([directA, shared])
  })

  it('the first instance adopts the built-in row of single mode (same id, identity rewritten)', async () => {
    const db = memoryDatabase()
    const single = await startService({ db })
    const id = builtinId(single.service)
    expect(await storedEgresses(db)).toMatchObject([{ id, identity: 'direct|*' }])
    await single.service.close()

    const first = await startService({ db, settings: { instanceId: A } })
    expect(builtinId(first.service)).toBe(id)
    expect(await storedEgresses(db)).toMatchObject([{ id, identity: `direct@${A}|*` }])
    const second = await startService({ db, settings: { instanceId: B } })
    expect(builtinId(second.service)).not.toBe(id)
    expect((await storedEgresses(db)).map((row) => row.identity)).toEqual([
      `direct@${A}|*`,
      `direct@${B}|*`,
    ])
  })
})

describe('cluster mode: guard memory written under the lane’s lease', () => {
  it('writes nothing before the leases exist, then writes fenced with the lane’s fence', async () => {
    const db = recordingDatabase()
    const clock = createManualClock()
    const { service } = await startService({ db, clock, settings: { instanceId: A } })
    const id = builtinId(service)
    await writesLanded()
    db.updates.length = 0
    service.saveGuardMemory(id, MEMORY, clock.now(), true)
    service.saveGuardMemory(id, MEMORY, clock.now(), false)
    await service.flush()
    clock.advance(10_000)
    await writesLanded()
    // Held in memory (the status reads it), written nowhere: no lease, not this instance's lane.
    expect(service.guardMemory(id)).toEqual(MEMORY)
    expect(db.updates).toEqual([])
    expect(db.fenced).toEqual([])

    const fences: number[] = []
    service.useLaneFences((egressId) => {
      fences.push(egressId)
      return egressId === id ? { egressId, instanceId: A, token: 42 } : undefined
    })
    const next = { lastUsedKeyId: 8, lastUsedAt: 2_000, lastSwitchAt: 2_000 }
    service.saveGuardMemory(id, next, 2_000, true)
    await writesLanded()
    expect(fences).toContain(id)
    expect(db.updates).toEqual([])
    expect(db.fenced).toEqual([
      {
        id,
        fence: { egressId: id, instanceId: A, token: 42 },
        patch: { guardKeyId: 8, guardUsedAt: 2_000, guardSwitchAt: 2_000, updatedAt: 2_000 },
      },
    ])
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      guardKeyId: 8,
      guardUsedAt: 2_000,
    })
  })

  it('writes nothing for a lane whose fence is gone (another instance holds it)', async () => {
    const db = recordingDatabase()
    const { service } = await startService({ db, settings: { instanceId: A } })
    const id = builtinId(service)
    service.useLaneFences(() => undefined)
    await writesLanded()
    db.updates.length = 0
    service.saveGuardMemory(id, MEMORY, 1_000, true)
    await service.flush()
    expect(db.updates).toEqual([])
    expect(db.fenced).toEqual([])
  })

  it('does not retry a fenced write the database refused', async () => {
    const { db, clock, service, id } = await laneOfAnotherHolder()
    service.saveGuardMemory(id, MEMORY, clock.now(), true)
    await writesLanded()
    expect(db.fenced).toHaveLength(1)
    for (let i = 0; i < 5; i++) {
      clock.advance(5_000)
      await writesLanded()
    }
    await service.flush()
    expect(db.fenced).toHaveLength(1)
    // The row keeps what was there: the refused memory never landed.
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      guardKeyId: null,
    })
  })

  it('a refused fence takes nothing else with it: a state change queued beside the memory is written', async () => {
    const { db, clock, service, id } = await laneOfAnotherHolder()
    // The memory waits for the interval; the lane going down is written at once, merged with it.
    service.saveGuardMemory(id, MEMORY, clock.now(), false)
    service.markDown(id, { code: 'egress_down', params: { cause: 'timeout', code: null } })
    await service.flush()
    expect(db.fenced).toHaveLength(1)
    expect(db.fenced[0]?.patch).not.toHaveProperty('state')
    expect((await storedEgresses(db)).find((row) => row.id === id)).toMatchObject({
      state: 'down',
      guardKeyId: null,
    })
  })

  it('single mode writes guard memory unfenced, with no lease asked', async () => {
    const db = recordingDatabase()
    const { service } = await startService({ db })
    const id = builtinId(service)
    service.saveGuardMemory(id, MEMORY, 1_000, true)
    await writesLanded()
    expect(db.fenced).toEqual([])
    expect(db.updates).toContainEqual({
      id,
      patch: { guardKeyId: 7, guardUsedAt: 1_000, guardSwitchAt: 900, updatedAt: 1_000 },
    })
  })
})

describe('cluster mode: reload', () => {
  it('follows rows changed in storage, keeping this instance’s unwritten changes on top', async () => {
    const clock = createManualClock()
    const { service, db } = await startService({ clock, settings: { instanceId: A } })
    const { id: kept } = await service.create({ url: 'http://127.0.0.1:20001', label: 'old' })
    const { id: gone } = await service.create({ url: 'http://127.0.0.1:20002' })
    await writesLanded()
    // Counters wait for the write-behind's interval: queued, not written.
    service.recordCall(kept, true)
    service.recordCall(kept, false)
    const dispatcher = service.lane(kept)?.dispatcher
    const retryAt = clock.now() + 60_000

    // Another instance: relabels and marks `kept` down, deletes `gone`, adds a proxy.
    await db.storage.egresses.update(kept, {
      label: 'new',
      state: 'down',
      stateReason: 'connection refused',
      retryAt,
      failures: 1,
    })
    await db.storage.egresses.remove(gone)
    const added = (await db.storage.egresses.insert({
      kind: 'http',
      scheme: 'http',
      host: '127.0.0.1',
      port: 20003,
      identity: 'http:127.0.0.1:20003',
      createdAt: clock.now(),
      updatedAt: clock.now(),
    })) as EgressRow

    let changes = 0
    service.onChange(() => {
      changes += 1
    })
    await service.reload()
    expect(changes).toBe(1)
    expect(service.lanes().map((lane) => lane.id)).toEqual([builtinId(service), kept, added.id])
    expect(service.lane(gone)).toBeUndefined()
    expect(service.view(kept)).toMatchObject({
      label: 'new',
      state: 'down',
      requestCount: 2,
      errorCount: 1,
    })
    expect(service.lane(kept)?.state()).toBe('down')
    expect(service.lane(kept)?.backAt()).toBe(retryAt)
    // Label and state are not the route: the same dispatcher stays.
    expect(service.lane(kept)?.dispatcher).toBe(dispatcher)
    expect(service.lane(added.id)?.state()).toBe('up')
    // The queued counters are still written, over the row the other instance left.
    await service.flush()
    expect((await storedEgresses(db)).find((row) => row.id === kept)).toMatchObject({
      label: 'new',
      requestCount: 2,
      errorCount: 1,
    })
  })

  it('makes a new dispatcher when a proxy’s port changed: calls go through the new proxy', async () => {
    const mock = await upstream()
    const first = await httpProxy({ outgoingAddress: '127.0.0.2' })
    const second = await httpProxy({ outgoingAddress: '127.0.0.3' })
    const { service, db } = await startService({
      settings: { instanceId: A, upstreamBaseUrl: mock.url },
    })
    // Sending allowed, as the cluster plugin's gate says while the lane's lease is good.
    service.useSendGate(() => true)
    const { id } = await service.create({ url: `http://127.0.0.1:${first.port}` })
    const before = service.lane(id)?.dispatcher
    if (before === undefined) throw new Error('no lane')
    expect(await tryThrough(before, mock.url)).toBe(200)
    await db.storage.egresses.update(id, {
      port: second.port,
      identity: `http:127.0.0.1:${second.port}`,
    })
    await service.reload()
    const after = service.lane(id)?.dispatcher
    if (after === undefined) throw new Error('no lane')
    expect(after).not.toBe(before)
    expect(await tryThrough(after, mock.url)).toBe(200)
    expect(mock.requests.map((seen) => seen.sourceAddress)).toEqual(['127.0.0.2', '127.0.0.3'])
    expect(second.tunnels).toHaveLength(1)
  })

  it('makes a new dispatcher when a proxy’s credentials changed', async () => {
    const mock = await upstream()
    const auth = { username: 'lane-user', password: 'right-password' }
    const proxy = await httpProxy({ outgoingAddress: '127.0.0.2', auth })
    const { service, db } = await startService({
      settings: { instanceId: A, upstreamBaseUrl: mock.url },
    })
    // Sending allowed, as the cluster plugin's gate says while the lane's lease is good.
    service.useSendGate(() => true)
    const { id } = await service.create({
      url: `http://lane-user:wrong-password@127.0.0.1:${proxy.port}`,
    })
    const before = service.lane(id)?.dispatcher
    if (before === undefined) throw new Error('no lane')
    // Refused by the proxy: no tunnel, nothing reaches the upstream.
    expect(await tryThrough(before, mock.url)).toEqual(expect.any(String))
    expect(mock.requests).toHaveLength(0)
    await db.storage.egresses.update(id, { password: 'right-password' })
    await service.reload()
    const after = service.lane(id)?.dispatcher
    if (after === undefined) throw new Error('no lane')
    expect(after).not.toBe(before)
    expect(await tryThrough(after, mock.url)).toBe(200)
    expect(mock.requests).toHaveLength(1)
  })
})

describe('cluster mode: cut', () => {
  it('destroys the lane’s dispatcher (aborting what is in flight) and gives it a new one', async () => {
    const mock = await upstream()
    mock.setUserInfoMode('hang')
    const { service } = await startService({
      settings: { instanceId: A, upstreamBaseUrl: mock.url },
    })
    service.useSendGate(() => true)
    const id = builtinId(service)
    const old = service.lane(id)?.dispatcher
    if (old === undefined) throw new Error('no lane')
    const inFlight = rejectionOf(request(`${mock.url}/v1/user/info`, { dispatcher: old }))
    await mock.waitForRequest(0)
    service.cut(id)
    const fresh = service.lane(id)?.dispatcher
    if (fresh === undefined) throw new Error('no lane')
    expect(fresh).not.toBe(old)
    expect(service.wasCut(id, old)).toBe(true)
    expect(service.wasCut(id, fresh)).toBe(false)
    expect(await inFlight).toBeDefined()
    expect(await tryThrough(old, mock.url)).toMatch(/^UND_ERR_(DESTROYED|CLOSED)$/)
    expect(await tryThrough(fresh, mock.url)).toBe(200)
    // The lane itself is not at fault: it stays up.
    expect(service.lane(id)?.state()).toBe('up')
  })

  it('says nothing was cut for an unknown lane', async () => {
    const { service } = await startService({ settings: { instanceId: A } })
    const id = builtinId(service)
    const dispatcher = service.lane(id)?.dispatcher
    if (dispatcher === undefined) throw new Error('no lane')
    service.cut(9999)
    expect(service.wasCut(9999, dispatcher)).toBe(false)
    expect(service.wasCut(id, dispatcher)).toBe(false)
  })
})

describe('cluster mode: the send gate', () => {
  it('refuses a keyed request unsent once the gate says no, and cuts the lane; keyless checks pass', async () => {
    const mock = await upstream()
    const { service } = await startService({
      settings: { instanceId: A, upstreamBaseUrl: mock.url },
    })
    let leaseGood = true
    service.useSendGate(() => leaseGood)
    const id = builtinId(service)
    const lane = service.lane(id)
    if (lane === undefined) throw new Error('no lane')
    expect(await tryThrough(lane.dispatcher, mock.url)).toBe(200)
    expect(mock.requests).toHaveLength(1)

    // The lease ran out between the grant and the write: nothing reaches the upstream.
    const granted = lane.dispatcher
    leaseGood = false
    expect(await tryThrough(granted, mock.url)).toBe('SFP_LANE_SEND_REFUSED')
    expect(mock.requests).toHaveLength(1)
    expect(service.wasCut(id, granted)).toBe(true)
    // An egress check sends no key: the gate leaves it alone.
    const check = await service.check(id)
    expect(check.ok).toBe(true)
  })
})

describe('cluster mode: telling the other instances', () => {
  it('tells a change again once its write, failed at first, has landed', async () => {
    const db = recordingDatabase()
    const clock = createManualClock()
    const { service } = await startService({ db, clock, settings: { instanceId: A } })
    const { id } = await service.create({ url: 'http://127.0.0.1:20001' })
    await writesLanded()
    service.takeLocalChanges()
    const update = db.storage.egresses.update
    let failing = true
    db.storage.egresses.update = async (...args) => {
      if (failing) throw new Error('deadlock detected')
      return update(...args)
    }
    let told = 0
    service.onChange(() => {
      told += 1
    })
    service.markDown(id, {
      code: 'egress_down',
      params: { cause: 'connection_refused', code: 'ECONNREFUSED' },
    })
    await service.flush()
    // Told once (the others read the row, the state not in it yet).
    expect(service.takeLocalChanges()).toEqual([id])
    expect((await storedEgresses(db)).find((row) => row.id === id)?.state).toBe('up')
    const toldBefore = told
    failing = false
    clock.advance(5_000)
    await service.flush()
    expect((await storedEgresses(db)).find((row) => row.id === id)?.state).toBe('down')
    expect(service.takeLocalChanges()).toEqual([id])
    expect(told).toBeGreaterThan(toldBefore)
  })
})
