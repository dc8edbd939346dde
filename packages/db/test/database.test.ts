import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DATABASE_FILE, isMigrated, openDatabase } from '../src/database.js'
import { createSettingsStore, SETTING } from '../src/settings-store.js'

const journal = new URL('../drizzle/meta/_journal.json', import.meta.url)
const MIGRATIONS = (JSON.parse(readFileSync(journal, 'utf8')) as { entries: unknown[] }).entries
  .length

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sfp-db-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('openDatabase', () => {
  it('creates a missing data folder and migrates an empty database', () => {
    const dataDir = join(tempDir(), 'nested', 'data')
    const handle = openDatabase({ dataDir })
    expect(handle.path).toBe(join(dataDir, DATABASE_FILE))
    expect(existsSync(handle.path)).toBe(true)
    expect(isMigrated(handle)).toBe(true)
    const tables = handle.sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => (row as { name: string }).name)
    expect(tables).toEqual(
      expect.arrayContaining([
        'client_keys',
        'key_events',
        'request_logs',
        'settings',
        'upstream_keys',
      ]),
    )
    handle.close()
  })

  it('uses WAL and a busy timeout', () => {
    const handle = openDatabase({ dataDir: tempDir() })
    expect(handle.sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(handle.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000)
    handle.close()
  })

  it('reopens an already migrated database without losing data', () => {
    const dataDir = tempDir()
    const first = openDatabase({ dataDir })
    createSettingsStore(first.db).set(SETTING.currentKeyId, '42')
    first.close()

    const second = openDatabase({ dataDir })
    expect(isMigrated(second)).toBe(true)
    expect(createSettingsStore(second.db).get(SETTING.currentKeyId)).toBe('42')
    const applied = second.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()
    // Each committed migration once: reopening applied none of them again.
    expect(applied).toEqual({ n: MIGRATIONS })
    second.close()
  })

  it('has nullable JSON columns for explanations beside the text ones (migration 0003)', () => {
    const handle = openDatabase({ dataDir: tempDir() })
    const columns = (table: string) =>
      (handle.sqlite.pragma(`table_info(${table})`) as { name: string; notnull: number }[])
        .filter((column) => column.notnull === 0)
        .map((column) => column.name)
    expect(columns('upstream_keys')).toEqual(expect.arrayContaining(['last_error_detail']))
    expect(columns('key_events')).toEqual(expect.arrayContaining(['explanation']))
    expect(columns('egresses')).toEqual(expect.arrayContaining(['state_explanation']))
    handle.close()
  })

  it('reports not migrated once closed, and closing twice is harmless', () => {
    const handle = openDatabase({ dataDir: tempDir() })
    handle.close()
    handle.close()
    expect(handle.isOpen()).toBe(false)
    expect(isMigrated(handle)).toBe(false)
  })
})
