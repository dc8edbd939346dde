import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { explainDataDirFailure } from '../src/plugin.js'

const dirs: string[] = []
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sfp-db-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** The error a call throws, as the library throws it. */
function thrownBy(call: () => unknown): unknown {
  try {
    call()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

const user = { uid: 1000, gid: 1000 }

/**
 * What boot says for the errors of a data folder it may not write. Root writes through file
 * modes, so the refusals a non-root user meets are produced for real by the server's
 * `test/old-habits-process.test.ts` (its child runs without root's file override); SQLite's own
 * "attempt to write a readonly database" is produced here, through a read-only connection.
 */
describe('explainDataDirFailure', () => {
  it("explains SQLite's SQLITE_READONLY (the old root-owned api_keys.db) in one line", () => {
    const dataDir = tempDataDir()
    const file = join(dataDir, 'api_keys.db')
    new Sqlite(file).close()
    const readOnly = new Sqlite(file, { readonly: true })
    const error = thrownBy(() => readOnly.exec('CREATE TABLE upstream_keys (id INTEGER)'))
    readOnly.close()
    expect(error).toMatchObject({ code: 'SQLITE_READONLY' })
    expect((error as Error).message).toBe('attempt to write a readonly database')
    const explained = explainDataDirFailure(error, dataDir, user)
    expect(explained?.code).toBe('SFP_DATA_DIR_NOT_WRITABLE')
    expect(explained?.message).toBe(
      `DATA_DIR ${dataDir} (or its api_keys.db) cannot be written by this user (uid 1000; ` +
        "SQLITE_READONLY): probably made by root, e.g. by the old siliconflowProxy's container. " +
        `Fix: sudo chown -R 1000:1000 ${dataDir} (the Docker image entrypoint does this itself when the container starts as root), or point ` +
        'DATA_DIR at a folder this user owns.',
    )
  })

  it("explains SQLite's SQLITE_CANTOPEN (unable to open the database file)", () => {
    const dataDir = tempDataDir()
    // Root opens anything; a folder in the file's place gives the same error object.
    const error = thrownBy(() => new Sqlite(dataDir).exec('CREATE TABLE t (id INTEGER)'))
    expect(error).toMatchObject({ code: 'SQLITE_CANTOPEN' })
    expect(explainDataDirFailure(error, dataDir, user)?.message).toContain(
      `Fix: sudo chown -R 1000:1000 ${dataDir}`,
    )
  })

  it('names a folder that does not exist yet with the mkdir too', () => {
    const dataDir = join(tempDataDir(), 'not-yet')
    const error = Object.assign(new Error(`EACCES: permission denied, mkdir '${dataDir}'`), {
      code: 'EACCES',
    })
    expect(explainDataDirFailure(error, dataDir, user)?.message).toContain(
      `cannot be created by this user (uid 1000; EACCES)`,
    )
    expect(explainDataDirFailure(error, dataDir, user)?.message).toContain(
      `Fix: sudo mkdir -p ${dataDir} && sudo chown -R 1000:1000 ${dataDir}`,
    )
  })

  it('leaves other errors alone (their stack trace is printed as before)', () => {
    const dataDir = tempDataDir()
    // A file where the folder should be: ENOTDIR / EEXIST, not a permission problem.
    const blocker = join(dataDir, 'file')
    writeFileSync(blocker, '')
    const notAFolder = thrownBy(() => mkdirSync(join(blocker, 'data'), { recursive: true }))
    expect(explainDataDirFailure(notAFolder, dataDir, user)).toBeUndefined()
    const db = new Sqlite(':memory:')
    const badSql = thrownBy(() => db.exec('NOT SQL'))
    db.close()
    expect(badSql).toMatchObject({ code: 'SQLITE_ERROR' })
    expect(explainDataDirFailure(badSql, dataDir, user)).toBeUndefined()
    expect(explainDataDirFailure(new Error('boom'), dataDir, user)).toBeUndefined()
  })
})
