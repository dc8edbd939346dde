import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SETTING } from '@sfp/db'
import { START as T0 } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { createKeyPool } from '../src/create-key-pool.js'
import { isSealed, plainKeyCipher } from '../src/key-cipher.js'
import { switched } from './helpers/lanes.js'
import {
  addKeys,
  createTestPool,
  DEFAULT_SETTINGS,
  fakeKey,
  openStorage,
  storedKeys,
} from './helpers/test-pool.js'

const KEYS = [fakeKey(1), fakeKey(2), fakeKey(3)]
const ENCRYPTION_KEY = 'correct-horse-battery-staple-42'

/** Every byte SQLite wrote (database, WAL), as text. */
function databaseBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .map((file) => readFileSync(join(dataDir, file)).toString('latin1'))
    .join('')
}

describe('encryption at rest', () => {
  it('stores no key in plain text, yet exports, selects and finds duplicates', async () => {
    const test = await createTestPool({ settings: { encryptionKey: ENCRYPTION_KEY } })
    const [a = 0] = await addKeys(test.pool, KEYS)
    for (const row of await storedKeys(test.storage)) {
      expect(isSealed(row.secret)).toBe(true)
      expect(row.fingerprint).not.toBe(plainKeyCipher.fingerprint(KEYS[row.id - 1] ?? ''))
    }
    const bytes = databaseBytes(test.dataDir)
    for (const key of KEYS) expect(bytes).not.toContain(key)
    expect(test.pool.exportText()).toBe(`${KEYS.join('\n')}\n`)
    expect(test.pool.secret(a)).toBe(KEYS[0])
    expect((await test.pool.add({ api_keys: KEYS.join(' ') })).duplicates).toBe(3)
    expect(await test.storage.settings.get(SETTING.encryptionCheck)).toMatch(/^aes256gcm\.v1 /)
    const after = await test.restart()
    expect(after.pool.exportText()).toBe(`${KEYS.join('\n')}\n`)
  })

  it('refuses to start with a wrong ENCRYPTION_KEY and changes nothing', async () => {
    const test = await createTestPool({ settings: { encryptionKey: ENCRYPTION_KEY } })
    await addKeys(test.pool, KEYS)
    const rows = await storedKeys(test.storage)
    await expect(test.restart({ encryptionKey: 'another-key-entirely-000' })).rejects.toMatchObject(
      {
        code: 'SFP_ENCRYPTION_KEY_MISMATCH',
        message: expect.stringMatching(/^ENCRYPTION_KEY does not match/),
      },
    )
    const { storage } = openStorage(test.dataDir)
    expect(await storedKeys(storage)).toEqual(rows)
  })

  it('refuses a wrong ENCRYPTION_KEY even before any key was added', async () => {
    const test = await createTestPool({ settings: { encryptionKey: ENCRYPTION_KEY } })
    await expect(test.restart({ encryptionKey: 'another-key-entirely-000' })).rejects.toMatchObject(
      {
        code: 'SFP_ENCRYPTION_KEY_MISMATCH',
      },
    )
  })

  it('refuses to start without ENCRYPTION_KEY when keys are encrypted', async () => {
    const test = await createTestPool({ settings: { encryptionKey: ENCRYPTION_KEY } })
    await addKeys(test.pool, KEYS)
    await expect(test.restart({ encryptionKey: undefined })).rejects.toMatchObject({
      code: 'SFP_ENCRYPTION_KEY_MISSING',
      message: expect.stringMatching(
        /^3 stored upstream keys are encrypted but ENCRYPTION_KEY is not set/,
      ),
    })
  })

  it('detects a wrong key from the rows when the check value is missing', async () => {
    const test = await createTestPool({ settings: { encryptionKey: ENCRYPTION_KEY } })
    await addKeys(test.pool, KEYS)
    await test.storage.settings.delete(SETTING.encryptionCheck)
    await expect(test.restart({ encryptionKey: 'another-key-entirely-000' })).rejects.toMatchObject(
      {
        code: 'SFP_ENCRYPTION_KEY_MISMATCH',
      },
    )
  })

  it('encrypts plaintext keys in place when ENCRYPTION_KEY is newly set, keeping their state', async () => {
    const plain = await createTestPool()
    const [a = 0, b = 0] = await addKeys(plain.pool, KEYS)
    plain.pool.update(b, { enabled: false, label: 'kept' })
    plain.pool.bind(a, 1, T0, switched(a))
    const listed = plain.pool.list({ offset: 0 })
    expect((await storedKeys(plain.storage)).every((row) => row.secret === KEYS[row.id - 1])).toBe(
      true,
    )

    const encrypted = await plain.restart({ encryptionKey: ENCRYPTION_KEY })
    const rows = await storedKeys(encrypted.storage)
    expect(rows.every((row) => isSealed(row.secret))).toBe(true)
    expect(rows.map((row) => row.fingerprint)).not.toContain(
      plainKeyCipher.fingerprint(KEYS[0] ?? ''),
    )
    expect(encrypted.pool.list({ offset: 0 })).toEqual(listed)
    expect(encrypted.pool.row(a)).toMatchObject({ egressId: 1, egressUsedAt: T0 })
    expect(encrypted.pool.exportText()).toBe(`${KEYS.join('\n')}\n`)
    expect((await encrypted.pool.add({ api_key: KEYS[1] ?? '' })).duplicates).toBe(1)
    // Old values are zeroed, not just unlinked: no copy in free pages or the WAL.
    for (const key of KEYS) expect(databaseBytes(encrypted.dataDir)).not.toContain(key)
  })

  it('drops a stale check value when nothing is encrypted and no key is set', async () => {
    const test = await createTestPool({ settings: { encryptionKey: ENCRYPTION_KEY } })
    const after = await test.restart({ encryptionKey: undefined })
    expect(await after.storage.settings.get(SETTING.encryptionCheck)).toBeUndefined()
    const other = await after.restart({ encryptionKey: 'another-key-entirely-000' })
    expect(other.pool.status().total).toBe(0)
  })

  it('rejects from createKeyPool itself, so the plugin stops boot', async () => {
    const test = await createTestPool({ settings: { encryptionKey: ENCRYPTION_KEY } })
    await addKeys(test.pool, KEYS)
    await expect(
      createKeyPool({ storage: test.storage, settings: { ...DEFAULT_SETTINGS } }),
    ).rejects.toThrow(/ENCRYPTION_KEY is not set/)
  })
})
