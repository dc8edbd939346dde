import { createAesKeyCipher, isSealed } from '@sfp/key-pool'
import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import {
  BLOCKED,
  ENCRYPTION_KEY,
  httpProxy,
  memoryDatabase,
  nextChange,
  proxy,
  recordingLog,
  rejectionOf,
  socksProxy,
  startService,
  storedEgresses,
  upstream,
} from './helpers/harness.js'

const USER = 'sec-user'
/** Characters that need percent-encoding in a URL, to check the decoding too. */
const PASSWORD = 'S3cr3t p@ss:w/rd%'
const ENCODED = encodeURIComponent(PASSWORD)

const rawPasswords = (db: ReturnType<typeof memoryDatabase>) =>
  db.handle.sqlite.prepare('SELECT id, password FROM egresses ORDER BY id').all() as {
    id: number
    password: string | null
  }[]

describe('proxy passwords at rest', () => {
  it('with ENCRYPTION_KEY, a created proxy password is stored sealed and still authenticates', async () => {
    const mock = await upstream()
    const real = await httpProxy({
      outgoingAddress: '127.0.0.2',
      auth: { username: USER, password: PASSWORD },
    })
    const db = memoryDatabase()
    const { service } = await startService({
      db,
      settings: { upstreamBaseUrl: mock.url, encryptionKey: ENCRYPTION_KEY },
    })
    const { id } = await service.create({ url: `http://${USER}:${ENCODED}@127.0.0.1:${real.port}` })

    const stored = (await storedEgresses(db)).find((row) => row.id === id)?.password ?? ''
    const raw = rawPasswords(db).find((row) => row.id === id)?.password ?? ''
    for (const value of [stored, raw]) {
      expect(value.startsWith('aes256gcm.v1 ')).toBe(true)
      expect(isSealed(value)).toBe(true)
      expect(value).not.toContain(PASSWORD)
      expect(value).not.toContain(ENCODED)
    }
    expect(createAesKeyCipher(ENCRYPTION_KEY).open(raw)).toBe(PASSWORD)
    // Nothing else in the row holds it either.
    const row = db.handle.sqlite.prepare('SELECT * FROM egresses WHERE id = ?').get(id)
    expect(JSON.stringify(row)).not.toContain(PASSWORD)

    expect(await service.check(id)).toMatchObject({ ok: true })
    expect(real.tunnels).toHaveLength(1)
    expect(mock.requests[0]?.sourceAddress).toBe('127.0.0.2')
  })

  it('EGRESS_PROXIES passwords are sealed too, and a SOCKS5 proxy authenticates with them', async () => {
    const mock = await upstream()
    const real = await socksProxy({
      outgoingAddress: '127.0.0.3',
      auth: { username: USER, password: PASSWORD },
    })
    const db = memoryDatabase()
    const { service } = await startService({
      db,
      settings: {
        upstreamBaseUrl: mock.url,
        encryptionKey: ENCRYPTION_KEY,
        egressProxies: [proxy(`socks5://${USER}:${ENCODED}@127.0.0.1:${real.port}`)],
      },
    })
    const id = service.lanes()[1]?.id ?? 0
    expect(isSealed(rawPasswords(db)[1]?.password ?? '')).toBe(true)
    expect(await service.check(id)).toMatchObject({ ok: true })
    expect(mock.requests[0]?.sourceAddress).toBe('127.0.0.3')

    // A second boot with the same password does not rewrite the envelope.
    const before = rawPasswords(db)[1]?.password
    await service.close()
    await startService({
      db,
      settings: {
        encryptionKey: ENCRYPTION_KEY,
        egressProxies: [proxy(`socks5://${USER}:${ENCODED}@127.0.0.1:${real.port}`)],
      },
    })
    expect(rawPasswords(db)[1]?.password).toBe(before)
  })

  it('plaintext passwords stored before are sealed in place at the next boot with a key', async () => {
    const mock = await upstream()
    const real = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    const db = memoryDatabase()
    const first = await startService({ db })
    const { id } = await first.service.create({
      url: `http://${USER}:${ENCODED}@127.0.0.1:${real.port}`,
    })
    const other = await first.service.create({ url: 'socks5://nopass@127.0.0.1:1080' })
    expect(rawPasswords(db).find((row) => row.id === id)?.password).toBe(PASSWORD)
    await first.service.close()

    const { service } = await startService({
      db,
      settings: { upstreamBaseUrl: mock.url, encryptionKey: ENCRYPTION_KEY },
    })
    const sealed = rawPasswords(db).find((row) => row.id === id)?.password ?? ''
    expect(isSealed(sealed)).toBe(true)
    expect(sealed).not.toContain(PASSWORD)
    expect(createAesKeyCipher(ENCRYPTION_KEY).open(sealed)).toBe(PASSWORD)
    // A user without a password has nothing to seal.
    expect(rawPasswords(db).find((row) => row.id === other.id)?.password).toBeNull()
    expect(await service.check(id)).toMatchObject({ ok: true })
  })

  it('sealed passwords and no ENCRYPTION_KEY: boot refuses (SFP_ENCRYPTION_KEY_MISSING), nothing changed', async () => {
    const db = memoryDatabase()
    const first = await startService({ db, settings: { encryptionKey: ENCRYPTION_KEY } })
    await first.service.create({ url: `http://${USER}:${ENCODED}@127.0.0.1:3128` })
    await first.service.create({ url: `socks5://${USER}:${ENCODED}@127.0.0.1:1080` })
    await first.service.close()
    const before = rawPasswords(db)

    const error = await rejectionOf(startService({ db }))
    expect(error).toMatchObject({ code: 'SFP_ENCRYPTION_KEY_MISSING', statusCode: 500 })
    expect((error as Error).message).toContain('2 stored proxy passwords')
    expect((error as Error).message).not.toContain(PASSWORD)
    expect(rawPasswords(db)).toEqual(before)
  })

  it('sealed passwords and another ENCRYPTION_KEY: boot refuses (SFP_ENCRYPTION_KEY_MISMATCH), nothing changed', async () => {
    const db = memoryDatabase()
    const first = await startService({ db, settings: { encryptionKey: ENCRYPTION_KEY } })
    await first.service.create({ url: `http://${USER}:${ENCODED}@127.0.0.1:3128` })
    await first.service.close()
    const before = rawPasswords(db)

    const error = await rejectionOf(
      startService({ db, settings: { encryptionKey: 'another-key-of-sixteen-plus' } }),
    )
    expect(error).toMatchObject({ code: 'SFP_ENCRYPTION_KEY_MISMATCH', statusCode: 500 })
    expect((error as Error).message).not.toContain(PASSWORD)
    expect((error as Error).message).not.toContain(ENCRYPTION_KEY)
    expect(rawPasswords(db)).toEqual(before)
  })
})

describe('the password never shows', () => {
  it('not in views, errors, check results or logs; url shows user:***@', async () => {
    const mock = await upstream()
    const real = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    const log = recordingLog()
    const clock = createManualClock()
    const db = memoryDatabase()
    const { service } = await startService({
      db,
      log,
      clock,
      settings: {
        upstreamBaseUrl: mock.url,
        encryptionKey: ENCRYPTION_KEY,
        egressProxies: [proxy(`socks5h://${USER}:${ENCODED}@127.0.0.1:1080`)],
      },
    })
    const shown: unknown[] = []
    const created = await service.create({
      url: `http://${USER}:${ENCODED}@127.0.0.1:${real.port}`,
      label: 'with password',
    })
    shown.push(created)
    const { id } = created
    expect(created.url).toBe(`http://${USER}:***@127.0.0.1:${real.port}`)
    expect(service.list().map((view) => view.url)).toEqual([
      'direct',
      `socks5h://${USER}:***@127.0.0.1:1080`,
      `http://${USER}:***@127.0.0.1:${real.port}`,
    ])

    shown.push(await service.check(id))
    shown.push(
      await rejectionOf(
        service.create({ url: `http://${USER}:${ENCODED}@127.0.0.1:${real.port}` }),
      ),
    )
    real.setMode('refuse-auth')
    shown.push(await service.check(id))
    await real.kill()
    shown.push(await service.check(id))
    // The re-check at retryAt, failing too.
    const rechecked = nextChange(service)
    clock.advance((clock.nextDue() ?? 0) - clock.now())
    await rechecked
    expect(service.lane(id)?.state()).toBe('down')
    service.markBlocked(id, BLOCKED)
    service.recordCall(id, false)
    shown.push(service.update(id, { label: 'renamed' }))
    shown.push(
      service.list(),
      service.view(id),
      service.lanes().map((lane) => lane.reason()),
    )
    await service.remove(id)
    shown.push(service.list())
    shown.push(await rejectionOf(service.check(id)))
    await service.close()

    const everything = [
      ...shown.map((value) =>
        value instanceof Error ? `${value.message} ${value.stack}` : JSON.stringify(value),
      ),
      ...log.lines,
    ].join('\n')
    expect(log.lines.length).toBeGreaterThan(3)
    expect(everything).toContain('***')
    for (const secret of [PASSWORD, ENCODED, ENCRYPTION_KEY]) {
      expect(everything).not.toContain(secret)
    }
  })
})
