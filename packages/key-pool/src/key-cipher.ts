import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
} from 'node:crypto'

/**
 * How upstream keys are kept in the `secret` column. Without ENCRYPTION_KEY: as they are, with a
 * SHA-256 fingerprint. With it: AES-256-GCM under a key derived by HKDF-SHA256, a random 12-byte
 * nonce per key, and a keyed HMAC-SHA256 fingerprint so duplicates are found without decrypting.
 */
export interface KeyCipher {
  readonly encrypting: boolean
  /** What goes into the `secret` column for this key. */
  seal(key: string): string
  /** The key from a `secret` column value; throws when it cannot be opened with this cipher. */
  open(stored: string): string
  fingerprint(key: string): string
}

/**
 * Marks an encrypted value. It contains a space, which no upstream key can (keys are printable
 * ASCII without spaces), so a stored value is never mistaken for the other kind.
 */
const ENVELOPE_PREFIX = 'aes256gcm.v1 '
const SALT = 'sfp/upstream-keys'
/** Binds every envelope to its purpose: a ciphertext copied from elsewhere does not open. */
const ASSOCIATED_DATA = Buffer.from('sfp upstream key')

export function isSealed(stored: string): boolean {
  return stored.startsWith(ENVELOPE_PREFIX)
}

export const plainKeyCipher: KeyCipher = {
  encrypting: false,
  seal: (key) => key,
  open(stored) {
    if (isSealed(stored)) throw new Error('this value is encrypted and no ENCRYPTION_KEY is set')
    return stored
  },
  fingerprint: (key) => createHash('sha256').update(key).digest('hex'),
}

function derive(encryptionKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, SALT, purpose, 32))
}

export function createAesKeyCipher(encryptionKey: string): KeyCipher {
  const aesKey = derive(encryptionKey, 'aes-256-gcm upstream keys')
  const hmacKey = derive(encryptionKey, 'hmac-sha256 fingerprints')
  return {
    encrypting: true,
    seal(key) {
      const nonce = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', aesKey, nonce).setAAD(ASSOCIATED_DATA)
      const ciphertext = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()])
      const parts = [nonce, ciphertext, cipher.getAuthTag()].map((part) =>
        part.toString('base64url'),
      )
      return ENVELOPE_PREFIX + parts.join('.')
    },
    open(stored) {
      if (!isSealed(stored)) throw new Error('this value is not encrypted')
      const [nonce, ciphertext, tag] = stored
        .slice(ENVELOPE_PREFIX.length)
        .split('.')
        .map((part) => Buffer.from(part, 'base64url'))
      if (!nonce || !ciphertext || !tag) throw new Error('malformed encrypted value')
      const decipher = createDecipheriv('aes-256-gcm', aesKey, nonce).setAAD(ASSOCIATED_DATA)
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    },
    fingerprint: (key) => createHmac('sha256', hmacKey).update(key).digest('hex'),
  }
}
