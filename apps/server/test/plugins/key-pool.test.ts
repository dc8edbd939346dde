import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildTestApp, tempDataDir } from '../helpers/test-app.js'

const KEYS = [`sk-${'a'.repeat(44)}`, `sk-${'b'.repeat(44)}`]
const ENCRYPTION_KEY = 'test-encryption-key-0123456789'

function storedBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .map((file) => readFileSync(join(dataDir, file)).toString('latin1'))
    .join('')
}

describe('key pool at boot', () => {
  it('is registered as app.keyPool, restoring the pool of the previous run', async () => {
    const dataDir = tempDataDir()
    const first = await buildTestApp({}, { dataDir })
    await first.app.keyPool.add({ api_keys: KEYS.join('\n') })
    first.app.dispatch.activate(2)
    await first.app.close()
    const second = await buildTestApp({}, { dataDir })
    expect(second.app.keyPool.status()).toMatchObject({ total: 2, currentKeyId: 2 })
  })

  it('encrypts plaintext keys in place when ENCRYPTION_KEY is newly set', async () => {
    const dataDir = tempDataDir()
    const plain = await buildTestApp({}, { dataDir })
    await plain.app.keyPool.add({ api_keys: KEYS.join('\n') })
    await plain.app.close()
    expect(storedBytes(dataDir)).toContain(KEYS[0])

    const encrypted = await buildTestApp({ ENCRYPTION_KEY }, { dataDir })
    // No copy left in the file, its free pages or the WAL, even while the server runs.
    for (const key of KEYS) expect(storedBytes(dataDir)).not.toContain(key)
    expect(encrypted.app.keyPool.exportText()).toBe(`${KEYS.join('\n')}\n`)
  })

  it('refuses to boot with a wrong ENCRYPTION_KEY, saying so', async () => {
    const dataDir = tempDataDir()
    const first = await buildTestApp({ ENCRYPTION_KEY }, { dataDir })
    await first.app.keyPool.add({ api_keys: KEYS.join('\n') })
    await first.app.close()
    await expect(
      buildTestApp({ ENCRYPTION_KEY: 'a-different-encryption-key' }, { dataDir }),
    ).rejects.toThrow(
      'ENCRYPTION_KEY does not match the key the stored upstream keys were encrypted with. ' +
        'Start again with the previous ENCRYPTION_KEY; nothing was changed.',
    )
    const again = await buildTestApp({ ENCRYPTION_KEY }, { dataDir })
    expect(again.app.keyPool.exportText()).toBe(`${KEYS.join('\n')}\n`)
  })

  it('refuses to boot without ENCRYPTION_KEY when the stored keys are encrypted', async () => {
    const dataDir = tempDataDir()
    const first = await buildTestApp({ ENCRYPTION_KEY }, { dataDir })
    await first.app.keyPool.add({ api_keys: KEYS.join('\n') })
    await first.app.close()
    await expect(buildTestApp({}, { dataDir })).rejects.toThrow(
      /^2 stored upstream keys are encrypted but ENCRYPTION_KEY is not set/,
    )
  })
})
