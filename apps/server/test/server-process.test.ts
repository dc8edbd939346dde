import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startServerProcess } from './helpers/server-process.js'
import { tempDataDir } from './helpers/test-app.js'

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
})
