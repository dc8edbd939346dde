import { SETTING, type UpstreamKeyRow } from '@sfp/db'
import { EncryptionKeyMismatch, EncryptionKeyMissing } from './errors.js'
import { createAesKeyCipher, isSealed, type KeyCipher, plainKeyCipher } from './key-cipher.js'
import type { KeyPoolStorage } from './key-store.js'

/** Encrypted into SETTING.encryptionCheck: proves at boot that ENCRYPTION_KEY is the same one. */
const CHECK_TEXT = 'sfp encryption check v1'

export interface OpenedKeys {
  cipher: KeyCipher
  /** Every stored key row, after any migration. */
  rows: UpstreamKeyRow[]
  /** Plaintext rows encrypted at this boot. */
  encrypted: number
}

function opens(cipher: KeyCipher, stored: string, expected?: string): boolean {
  try {
    const text = cipher.open(stored)
    return expected === undefined || text === expected
  } catch {
    return false
  }
}

/**
 * Match the stored keys with ENCRYPTION_KEY before anything reads them. Refuses to boot (throws)
 * rather than lose keys: a wrong ENCRYPTION_KEY, or encrypted rows and none set. Plaintext rows
 * found with ENCRYPTION_KEY set are encrypted in place, in one transaction, with new
 * fingerprints (the keyed ones); the check value is stored on first use.
 */
export async function openStoredKeys(
  storage: KeyPoolStorage,
  encryptionKey?: string,
): Promise<OpenedKeys> {
  const rows = await storage.upstreamKeys.all()
  const sealed = rows.filter((row) => isSealed(row.secret))
  const check = await storage.settings.get(SETTING.encryptionCheck)

  if (encryptionKey === undefined) {
    if (sealed.length > 0) throw new EncryptionKeyMissing(sealed.length)
    // Nothing is encrypted: a stale check value would only refuse a future, different key.
    if (check !== undefined) await storage.settings.delete(SETTING.encryptionCheck)
    return { cipher: plainKeyCipher, rows, encrypted: 0 }
  }

  const cipher = createAesKeyCipher(encryptionKey)
  const proof = check ?? sealed[0]?.secret
  if (proof !== undefined && !opens(cipher, proof, check === undefined ? undefined : CHECK_TEXT)) {
    throw new EncryptionKeyMismatch()
  }
  if (check === undefined)
    await storage.settings.set(SETTING.encryptionCheck, cipher.seal(CHECK_TEXT))

  const plaintext = rows.filter((row) => !isSealed(row.secret))
  if (plaintext.length === 0) return { cipher, rows, encrypted: 0 }
  await storage.upstreamKeys.replaceSecrets(
    plaintext.map((row) => ({
      id: row.id,
      secret: cipher.seal(row.secret),
      fingerprint: cipher.fingerprint(row.secret),
    })),
  )
  return { cipher, rows: await storage.upstreamKeys.all(), encrypted: plaintext.length }
}
