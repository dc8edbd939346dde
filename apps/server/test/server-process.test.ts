import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startServerProcess } from '@sfp/test-support/server-process'
import { describe, expect, it } from 'vitest'
import {
  buildTestApp,
  TEST_ADMIN_PASSWORD,
  TEST_CLIENT_KEY,
  tempDataDir,
} from './helpers/test-app.js'

const UPSTREAM_KEY = `sk-${'c'.repeat(44)}`
const STORED_WITH = 'first-encryption-key-0123456789'
const WRONG_KEY = 'other-encryption-key-0123456789'

/** A data folder holding an upstream key encrypted with `encryptionKey`, as a first run leaves. */
async function dataDirWithKeysEncryptedWith(encryptionKey: string): Promise<string> {
  const dataDir = tempDataDir()
  const first = await buildTestApp({ ENCRYPTION_KEY: encryptionKey }, { dataDir })
  await first.app.keyPool.add({ api_keys: UPSTREAM_KEY })
  await first.app.close()
  return dataDir
}

// Two real boots through tsx: seconds on an idle machine, far more on a loaded 2-core CI runner.
describe('server process', { timeout: 60_000 }, () => {
  it('boots, prints first-boot secrets once, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = tempDataDir()
    const first = startServerProcess({ DATA_DIR: dataDir })
    const url = await first.url()
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect((await fetch(`${url}/readyz`)).status).toBe(200)

    const secretLines = first.lines.filter((l) => l.startsWith('[SFP FIRST BOOT]'))
    expect(secretLines.some((l) => l.includes('Admin password'))).toBe(true)
    expect(secretLines.some((l) => l.includes('Client API key'))).toBe(true)
    // The secrets are never in a log line.
    const password =
      secretLines
        .find((l) => l.includes('Admin password'))
        ?.split(': ')
        .at(-1) ?? ''
    expect(first.lines.filter((l) => l.startsWith('{')).join('\n')).not.toContain(password)

    first.child.kill('SIGTERM')
    expect(await first.exited).toEqual({ code: 0, signal: null })
    expect(first.lines.some((l) => l.includes('"msg":"database closed"'))).toBe(true)
    // The WAL was checkpointed into the database file on close.
    const wal = join(dataDir, 'api_keys.db-wal')
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true)

    const second = startServerProcess({ DATA_DIR: dataDir })
    await second.url()
    expect(second.lines.some((l) => l.includes('FIRST BOOT'))).toBe(false)
    second.child.kill('SIGINT')
    expect((await second.exited).code).toBe(0)
  })

  it('refuses to boot with a bad setting, naming it in one line', async () => {
    const server = startServerProcess({ DATA_DIR: tempDataDir(), DISPATCH_CONCURRENCY: 'lots' })
    expect(await server.exited).toEqual({ code: 1, signal: null })
    expect(server.lines).toEqual([
      'Invalid setting DISPATCH_CONCURRENCY: must be a number (got "lots")',
    ])
  })

  it('refuses to boot with a wrong ENCRYPTION_KEY in one line, without key material', async () => {
    const dataDir = await dataDirWithKeysEncryptedWith(STORED_WITH)
    const server = startServerProcess({
      DATA_DIR: dataDir,
      ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      PROXY_API_KEYS: TEST_CLIENT_KEY,
      ENCRYPTION_KEY: WRONG_KEY,
      // Node's own deprecation notices are not the app's output.
      NODE_NO_WARNINGS: '1',
    })
    expect(await server.exited).toEqual({ code: 1, signal: null })
    // Log lines (JSON) aside, the refusal is the only thing printed.
    const printed = server.lines.filter((l) => !l.startsWith('{'))
    expect(printed).toEqual([
      'ENCRYPTION_KEY does not match the key the stored upstream keys were encrypted with. ' +
        'Start again with the previous ENCRYPTION_KEY; nothing was changed.',
    ])
    const output = server.lines.join('\n')
    expect(output).not.toContain('    at ') // no stack frame, printed or inside a log line
    for (const secret of [UPSTREAM_KEY, STORED_WITH, WRONG_KEY, TEST_ADMIN_PASSWORD]) {
      expect(output).not.toContain(secret)
    }
  })
})

describe('buildServer, when the boot is refused', () => {
  it('closes the database the partly built server opened', async () => {
    const dataDir = await dataDirWithKeysEncryptedWith(STORED_WITH)
    const messages: string[] = []
    const logger = {
      level: 'info',
      stream: { write: (line: string) => messages.push(JSON.parse(line).msg) },
    }
    await expect(buildTestApp({ ENCRYPTION_KEY: WRONG_KEY }, { dataDir, logger })).rejects.toThrow(
      /^ENCRYPTION_KEY does not match/,
    )
    expect(messages).toContain('database open')
    expect(messages.at(-1)).toBe('database closed')
  })
})
