import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDataDir } from '../helpers/test-app.js'

/**
 * docker/entrypoint.sh run directly with a tiny command instead of the server (scripts/
 * smoke-production.sh boots the real server through it). Outside the image `nobody` plays the
 * image's `node` user (APP_USER).
 */
const ENTRYPOINT = fileURLToPath(new URL('../../../../docker/entrypoint.sh', import.meta.url))
const APP_USER = 'nobody'

function idOf(flag: '-u' | '-g', user: string): number | undefined {
  const result = spawnSync('id', [flag, user], { encoding: 'utf8' })
  return result.status === 0 ? Number(result.stdout.trim()) : undefined
}
const appUid = idOf('-u', APP_USER)
const appGid = idOf('-g', APP_USER)
const isRoot = process.getuid?.() === 0
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0
const canRun = isRoot && hasSetpriv && appUid !== undefined && appGid !== undefined

/**
 * The entrypoint where any user can run it: the checkout may sit in a folder only root can enter
 * (a `mktemp -d` clone is 700), which the app user, unlike root, cannot get through.
 */
function reachableEntrypoint(): string {
  const folder = mkdtempSync(join(tmpdir(), 'sfp-entrypoint-'))
  chmodSync(folder, 0o755)
  const copy = join(folder, 'entrypoint.sh')
  copyFileSync(ENTRYPOINT, copy)
  chmodSync(copy, 0o755)
  return copy
}

/** Runs `prefix... entrypoint command...` and returns its outputs and the pid it was given. */
function run(dataDir: string, command: string[], prefix: string[] = []) {
  const entrypoint = prefix.length === 0 ? ENTRYPOINT : reachableEntrypoint()
  const [program = entrypoint, ...args] = [...prefix, entrypoint, ...command]
  const result = spawnSync(program, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', APP_USER, DATA_DIR: dataDir },
  })
  return { ...result, pid: result.pid }
}

/** A data folder as the old program's root container left it: root's folder, root's database. */
function rootOwnedDataDir(): string {
  const dataDir = tempDataDir()
  writeFileSync(join(dataDir, 'api_keys.db'), '')
  mkdirSync(join(dataDir, 'backups'))
  writeFileSync(join(dataDir, 'backups', 'old.db'), '')
  for (const path of [dataDir, join(dataDir, 'api_keys.db'), join(dataDir, 'backups')]) {
    chownSync(path, 0, 0)
  }
  chownSync(join(dataDir, 'backups', 'old.db'), 0, 0)
  return dataDir
}

describe.skipIf(!canRun)('docker/entrypoint.sh', () => {
  it('started as root, gives a root-owned data folder to the app user and runs the command as it', () => {
    const dataDir = rootOwnedDataDir()
    const result = run(dataDir, ['sh', '-c', 'echo "$(id -u):$(id -g) $$"'])
    expect(result.status, result.stderr).toBe(0)
    for (const path of ['', 'api_keys.db', 'backups', 'backups/old.db']) {
      const stat = statSync(join(dataDir, path))
      expect([stat.uid, stat.gid], path).toEqual([appUid, appGid])
    }
    const [ids, pid] = result.stdout.trim().split('\n').at(-1)?.split(' ') ?? []
    expect(ids).toBe(`${appUid}:${appGid}`)
    // exec all the way: the command is the process that was started, so it gets the signals.
    expect(Number(pid)).toBe(result.pid)
    expect(result.stdout).toContain(`giving ${dataDir} to ${APP_USER}`)
  })

  it('leaves a folder the app user already owns alone (no chown walk on every start)', () => {
    const dataDir = rootOwnedDataDir()
    expect(run(dataDir, ['true']).status).toBe(0)
    const before = statSync(join(dataDir, 'api_keys.db')).ctimeMs
    const again = run(dataDir, ['id', '-u'])
    expect(again.status).toBe(0)
    expect(again.stdout.trim()).toBe(String(appUid))
    expect(again.stdout).not.toContain('giving')
    expect(statSync(join(dataDir, 'api_keys.db')).ctimeMs).toBe(before)
  })

  it('creates a missing data folder for the app user', () => {
    const dataDir = join(tempDataDir(), 'data')
    expect(run(dataDir, ['true']).status).toBe(0)
    expect(statSync(dataDir).uid).toBe(appUid)
  })

  it('started as another user, says once which folder is not writable and how to fix it', () => {
    const dataDir = rootOwnedDataDir()
    chmodSync(dataDir, 0o755)
    const asAppUser = ['setpriv', `--reuid=${appUid}`, `--regid=${appGid}`, '--clear-groups']
    const result = run(dataDir, ['id', '-u'], asAppUser)
    expect(result.status).toBe(0)
    expect(result.stdout.trim()).toBe(String(appUid))
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(dataDir)
    expect(lines[0]).toContain('sudo chown -R 1000:1000 ./data')
    // Nothing was changed: a non-root entrypoint cannot, and does not try.
    expect(statSync(dataDir).uid).toBe(0)
  })

  it('started as another user on a writable folder, says nothing', () => {
    const dataDir = tempDataDir()
    chownSync(dataDir, appUid ?? 0, appGid ?? 0)
    const asAppUser = ['setpriv', `--reuid=${appUid}`, `--regid=${appGid}`, '--clear-groups']
    const result = run(dataDir, ['true'], asAppUser)
    expect(result.status).toBe(0)
    expect(result.stderr).toBe('')
  })
})
