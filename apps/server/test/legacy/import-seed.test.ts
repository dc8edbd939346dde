import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Sqlite } from '@sfp/db'
import {
  LEGACY_KEYS,
  LEGACY_PROXY_PASSWORD,
  legacyTablesDigest,
  typicalLegacyFixture,
  writeLegacyDatabase,
} from '@sfp/test-support/legacy'
import { describe, expect, it } from 'vitest'
import { tempDataDir } from '../helpers/test-app.js'

/** The built entry `pnpm import-seed` runs (`pnpm --filter @sfp/server... build` first). */
const ENTRY = fileURLToPath(new URL('../../dist/import-seed.js', import.meta.url))
const OLD_PASSWORD = 'old-shared-secret'

/** Runs in `cwd` (a fresh folder by default: no `.env` of this checkout is read). */
function importSeed(args: string[], env: Record<string, string>, cwd = tempDataDir()) {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build the server first`)
  const result = spawnSync(process.execPath, [ENTRY, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

function digestOf(path: string): string {
  const sqlite = new Sqlite(path, { readonly: true })
  try {
    return legacyTablesDigest(sqlite)
  } finally {
    sqlite.close()
  }
}

describe('pnpm import-seed', () => {
  it('imports another old file into DATA_DIR, prints the summary, skips duplicates the second time', () => {
    const dataDir = tempDataDir()
    const oldFile = join(tempDataDir(), 'api_keys.db')
    writeLegacyDatabase(oldFile, typicalLegacyFixture(Date.now()))
    const before = digestOf(oldFile)
    // The server's settings: ADMIN_PASSWORD from `.env` of the working directory.
    const cwd = tempDataDir()
    writeFileSync(join(cwd, '.env'), `ADMIN_PASSWORD=${OLD_PASSWORD}\n`)
    const env = { DATA_DIR: dataDir }

    const first = importSeed([oldFile], env, cwd)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(
      'keys: 5 imported (1 active, 1 insufficient, 1 error, 2 disabled)',
    )
    expect(first.stdout).toContain('proxies: 2 imported as egresses (1 enabled)')
    expect(first.stdout).toContain('client key: "siliconflowProxy"')
    expect(first.stdout).toContain('not imported: api_usage, proxy_state')
    expect(first.stdout).toContain('skipped: api_keys #5')
    for (const secret of [...Object.values(LEGACY_KEYS), LEGACY_PROXY_PASSWORD, OLD_PASSWORD]) {
      expect(first.stdout).not.toContain(secret)
    }

    const second = importSeed([oldFile], env, cwd)
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('keys: 0 imported')
    expect(second.stdout).toContain('5 duplicates skipped')

    const target = new Sqlite(join(dataDir, 'api_keys.db'), { readonly: true })
    const summary = target
      .prepare("SELECT value FROM settings WHERE name = 'legacy_import.summary'")
      .get() as { value: string }
    expect(JSON.parse(summary.value)).toMatchObject({ via: 'seed' })
    expect(target.prepare('SELECT count(*) AS n FROM upstream_keys').get()).toEqual({ n: 5 })
    target.close()
    expect(digestOf(oldFile)).toBe(before)
  })

  it.each([
    [
      'a missing file',
      (dir: string) => join(dir, 'nothing-here.db'),
      /^import-seed: No such file: /,
    ],
    [
      'a file that is not SQLite',
      (dir: string) => {
        const path = join(dir, 'notes.txt')
        writeFileSync(path, 'not a database at all, just some text')
        return path
      },
      /^import-seed: Cannot read .* as an SQLite database/,
    ],
    [
      'a database without the old tables',
      (dir: string) => {
        const path = join(dir, 'other.db')
        const sqlite = new Sqlite(path)
        sqlite.exec('CREATE TABLE something (id INTEGER)')
        sqlite.close()
        return path
      },
      /^import-seed: .* holds no siliconflowProxy tables/,
    ],
  ])('refuses %s with exit 1 and one line', (_name, make, message) => {
    const path = make(tempDataDir())
    const result = importSeed([path], { DATA_DIR: tempDataDir() })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(message)
  })

  it('says how to call it when the path is missing', () => {
    const result = importSeed([], { DATA_DIR: tempDataDir() })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^import-seed: Usage: pnpm import-seed <path/)
  })
})
