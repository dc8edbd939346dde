import { afterEach, describe, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../src/database.js'
import { createSettingsStore, SETTING } from '../src/settings-store.js'
import { createUpstreamKeysRepository } from '../src/upstream-keys-repository.js'

let handle: DatabaseHandle | undefined
afterEach(() => handle?.close())

const open = () => {
  handle = openDatabase({ dataDir: '.', fileName: ':memory:' })
  return handle
}

describe('writes made on every proxied request (prepared statements)', () => {
  it('settings: inserts, then overwrites value and time', () => {
    const { db } = open()
    const store = createSettingsStore(db)
    store.setJson(SETTING.switchGuard, { lastUsedKeyId: 1 }, 1000)
    store.setJson(SETTING.switchGuard, { lastUsedKeyId: 2 }, 2000)
    expect(store.getJson(SETTING.switchGuard)).toEqual({ lastUsedKeyId: 2 })
    const row = db.$client
      .prepare('SELECT value, updated_at AS updatedAt FROM settings WHERE name = ?')
      .get(SETTING.switchGuard)
    expect(row).toEqual({ value: '{"lastUsedKeyId":2}', updatedAt: 2000 })
  })

  it('upstream keys: a bulk insert returns each row exactly as stored, defaults included', () => {
    const { db } = open()
    const keys = createUpstreamKeysRepository(db)
    const inserted = keys.insertMany([
      { secret: 's1', fingerprint: 'f1', maskedKey: 'm1', createdAt: 1, updatedAt: 1 },
      {
        secret: 's2',
        fingerprint: 'f2',
        maskedKey: 'm2',
        label: 'two',
        status: 'disabled',
        callCount: undefined,
        createdAt: 2,
        updatedAt: 3,
      },
      { secret: 's3', fingerprint: 'f1', maskedKey: 'm3', createdAt: 4, updatedAt: 4 },
    ])
    expect(inserted).toEqual(keys.all())
    expect(inserted).toHaveLength(2) // the repeated fingerprint is skipped
    expect(inserted[0]).toMatchObject({
      label: null,
      status: 'active',
      callCount: 0,
      balance: null,
    })
    expect(inserted[1]).toMatchObject({ label: 'two', status: 'disabled', callCount: 0 })
  })

  it('upstream keys: writes the patched fields (null included), skips undefined ones', () => {
    const { db } = open()
    const keys = createUpstreamKeysRepository(db)
    const [key] = keys.insertMany([
      { secret: 's', fingerprint: 'f', maskedKey: 'sk-…', createdAt: 1, updatedAt: 1 },
    ])
    if (key === undefined) throw new Error('not inserted')
    keys.update(key.id, { callCount: 3, lastUsedAt: 50, lastError: 'boom', label: 'a' })
    keys.update(key.id, { callCount: 4, lastError: null, label: undefined })
    keys.update(key.id, { status: 'error', balance: 1.5 })
    expect(keys.all()[0]).toMatchObject({
      callCount: 4,
      lastUsedAt: 50,
      lastError: null,
      label: 'a',
      status: 'error',
      balance: 1.5,
    })
    expect(() => keys.update(key.id, { label: undefined })).toThrow('No values to set')
  })
})
