import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Sqlite } from '@sfp/db'
import { requireBuiltServer, runBuiltServer } from '@sfp/test-support/server-process'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth } from './helpers/test-app.js'

/**
 * The built server (`node /abs/path/apps/server/dist/server.js`) started the way the old
 * siliconflowProxy's users start it: from a folder of their own, with a `.env` there, on a data
 * folder its root container made. Needs `pnpm --filter "@sfp/server..." build` first.
 */

const DASHBOARD_INDEX = fileURLToPath(new URL('../public/index.html', import.meta.url))

/**
 * Whether this test runs as root, where file modes stop nobody: the children then run without
 * root's file override, on folders owned by `nobody` (what "made by another user" means to them).
 */
const AS_ROOT = process.getuid?.() === 0
const NOBODY = { uid: 65534, gid: 65534 }

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sfp-old-habits-'))
  // mkdtemp makes it 700: a child running as nobody must be able to enter it.
  chmodSync(dir, 0o755)
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function run(cwd: string, env: Record<string, string>, fileModesApply = false) {
  const server = runBuiltServer(cwd, env, { fileModesApply })
  cleanups.push(async () => {
    await server.stop()
  })
  return server
}

/** No line of a failed boot is a stack frame. */
const STACK_FRAME = /^\s+at /

beforeAll(requireBuiltServer)

describe('.env in the working directory, the server started from another folder', {
  timeout: 60_000,
}, () => {
  it('reads .env (the environment wins, empty counts as unset), says which file, finds its own files', async () => {
    const cwd = tempFolder()
    const password = 'from-dotenv-admin-password'
    writeFileSync(
      join(cwd, '.env'),
      [
        '# written by the old installer',
        `ADMIN_PASSWORD=${password}`,
        'this line is not a setting',
        'UPSTREAM_TIMEOUT_MS=600000',
        'DATA_DIR=./from-dotenv',
        // The environment's PORT=0 wins over this.
        'PORT=1',
        '',
      ].join('\n'),
    )
    // Empty in the environment: unset there, so the .env value applies.
    const server = run(cwd, { ADMIN_PASSWORD: '' })
    const url = await server.url()
    expect(new URL(url).port).not.toBe('1')

    expect(server.lines).toContain(
      `settings: read ${join(cwd, '.env')} (4 variables; the environment wins over it)`,
    )
    expect(server.lines).toContain(
      `settings: line 3 of ${join(cwd, '.env')} is not NAME=value; it was ignored`,
    )
    const aliasLines = server.lines.filter((line) => line.includes('UPSTREAM_TIMEOUT_MS'))
    expect(aliasLines).toEqual([
      'UPSTREAM_TIMEOUT_MS=600000 is read as UPSTREAM_HEADERS_TIMEOUT_MS (the old name still works; rename it)',
    ])
    expect(server.lines.join('\n')).not.toContain(password)

    // The password from .env is the admin password; the alias set the new setting.
    const config = await fetch(`${url}/api/manage/config`, {
      headers: { authorization: basicAuth(password) },
    })
    expect(config.status).toBe(200)
    const settings = ((await config.json()) as { settings: { name: string; value: unknown }[] })
      .settings
    const value = (name: string) => settings.find((setting) => setting.name === name)?.value
    expect(value('UPSTREAM_HEADERS_TIMEOUT_MS')).toBe(600_000)
    expect(value('DATA_DIR')).toBe('./from-dotenv')
    expect(settings.map((setting) => setting.name)).not.toContain('UPSTREAM_TIMEOUT_MS')

    // DATA_DIR relative to the working directory; migrations found from there.
    expect(existsSync(join(cwd, 'from-dotenv', 'api_keys.db'))).toBe(true)
    const ready = await fetch(`${url}/readyz`)
    expect(await ready.json()).toEqual({ status: 'ready', database: true })
    // The dashboard build is found beside the server, not in the working directory.
    if (existsSync(DASHBOARD_INDEX)) {
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    }
    expect(await server.stop()).toEqual({ code: 0, signal: null })
  })

  it('says so in one log line when there is no .env', async () => {
    const cwd = tempFolder()
    const server = run(cwd, { DATA_DIR: join(cwd, 'data') })
    await server.url()
    const said = server.lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; cwd?: string })
      .filter((line) => line.msg.startsWith('settings:'))
    expect(said).toMatchObject([{ msg: `settings: no .env in ${cwd}; the environment only`, cwd }])
  })

  it('stops on the old short ADMIN_PASSWORD from .env with one line saying what to do', async () => {
    const cwd = tempFolder()
    writeFileSync(join(cwd, '.env'), 'ADMIN_PASSWORD=admin\n')
    const server = run(cwd, { DATA_DIR: join(cwd, 'data') })
    expect(await server.exited).toEqual({ code: 1, signal: null })
    expect(server.lines).toHaveLength(2)
    expect(server.lines[0]).toBe(
      `settings: read ${join(cwd, '.env')} (1 variable; the environment wins over it)`,
    )
    expect(server.lines[1]).toMatch(
      /^Invalid setting ADMIN_PASSWORD: must be at least 8 characters\. The old siliconflowProxy accepted fewer, such as "admin";.* Set a longer ADMIN_PASSWORD in \.env/,
    )
  })

  it('stops with one line, not a stack trace, when .env cannot be read', async () => {
    const cwd = tempFolder()
    mkdirSync(join(cwd, '.env'))
    const server = run(cwd, { DATA_DIR: join(cwd, 'data') })
    expect(await server.exited).toEqual({ code: 1, signal: null })
    expect(server.lines).toEqual([`Cannot read ${join(cwd, '.env')} (EISDIR): fix or remove it`])
  })
})

describe('a data folder this user cannot write (made by the old root container)', {
  timeout: 60_000,
}, () => {
  /** Runs the server on `dataDir` as a user that may not write it; the lines it printed. */
  async function bootRefused(dataDir: string): Promise<string[]> {
    const cwd = tempFolder()
    const server = run(cwd, { DATA_DIR: dataDir }, AS_ROOT)
    expect(await server.exited).toEqual({ code: 1, signal: null })
    expect(server.lines.filter((line) => STACK_FRAME.test(line))).toEqual([])
    return server.lines
  }
  const uid = process.getuid?.() ?? 0
  const gid = process.getgid?.() ?? 0
  /** Another user's with `mode` (as root), or not writable by its owner (otherwise). */
  const readOnly = (path: string, mode: number) => {
    if (AS_ROOT) chownSync(path, NOBODY.uid, NOBODY.gid)
    chmodSync(path, AS_ROOT ? mode : mode & 0o555)
  }

  it('an existing folder: one line naming it and the chown that fixes it', async () => {
    const dataDir = join(tempFolder(), 'data')
    mkdirSync(dataDir)
    readOnly(dataDir, 0o755)
    cleanups.push(() => chmodSync(dataDir, 0o755))
    const lines = await bootRefused(dataDir)
    expect(lines.at(-1)).toBe(
      `DATA_DIR ${dataDir} (or its api_keys.db) cannot be written by this user (uid ${uid}; EACCES): ` +
        "probably made by root, e.g. by the old siliconflowProxy's container. " +
        `Fix: sudo chown -R ${uid}:${gid} ${dataDir} (the Docker image entrypoint does this itself when the container starts as root), ` +
        'or point DATA_DIR at a folder this user owns.',
    )
  })

  it("the old program's api_keys.db (mode 644, not this user's): the same line", async () => {
    const dataDir = join(tempFolder(), 'data')
    mkdirSync(dataDir)
    const file = join(dataDir, 'api_keys.db')
    const old = new Sqlite(file)
    old.exec(
      "CREATE TABLE api_keys (id INTEGER PRIMARY KEY, api_key TEXT, status TEXT DEFAULT 'active')",
    )
    old.close()
    readOnly(file, 0o644)
    readOnly(dataDir, 0o755)
    cleanups.push(() => chmodSync(dataDir, 0o755))
    const lines = await bootRefused(dataDir)
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^DATA_DIR ${dataDir} \\(or its api_keys\\.db\\) cannot be written by this user .*Fix: sudo chown -R ${uid}:${gid} ${dataDir} `,
      ),
    )
  })

  it('a folder that cannot be created: one line with the mkdir and chown', async () => {
    const parent = join(tempFolder(), 'old')
    mkdirSync(parent)
    readOnly(parent, 0o755)
    cleanups.push(() => chmodSync(parent, 0o755))
    const dataDir = join(parent, 'data')
    const lines = await bootRefused(dataDir)
    expect(lines.at(-1)).toBe(
      `DATA_DIR ${dataDir} cannot be created by this user (uid ${uid}; EACCES): ` +
        "probably made by root, e.g. by the old siliconflowProxy's container. " +
        `Fix: sudo mkdir -p ${dataDir} && sudo chown -R ${uid}:${gid} ${dataDir} ` +
        '(the Docker image entrypoint does this itself when the container starts as root), or point DATA_DIR at a folder this user owns.',
    )
  })
})
