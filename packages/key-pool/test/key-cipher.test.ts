import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createAesKeyCipher, isSealed, plainKeyCipher } from '../src/key-cipher.js'

const KEY = 'sk-abcdefghijklmnopqrstuvwxyz0123456789abcdefghij'
const SECRET_A = 'encryption-key-a-0123456789'
const SECRET_B = 'encryption-key-b-0123456789'

describe('key cipher', () => {
  it('without ENCRYPTION_KEY keeps the key as it is, fingerprinted with SHA-256', () => {
    expect(plainKeyCipher.seal(KEY)).toBe(KEY)
    expect(plainKeyCipher.open(KEY)).toBe(KEY)
    expect(plainKeyCipher.fingerprint(KEY)).toBe(createHash('sha256').update(KEY).digest('hex'))
  })

  it('round-trips with AES-256-GCM and a fresh nonce per seal', () => {
    const cipher = createAesKeyCipher(SECRET_A)
    const first = cipher.seal(KEY)
    const second = cipher.seal(KEY)
    expect(first).not.toBe(second)
    expect(first).not.toContain(KEY)
    expect(isSealed(first)).toBe(true)
    expect(isSealed(KEY)).toBe(false)
    expect(cipher.open(first)).toBe(KEY)
    expect(cipher.open(second)).toBe(KEY)
    // Envelope: prefix, then base64url nonce (12 bytes), ciphertext, tag (16 bytes).
    const [nonce, ciphertext, tag] = first.split(' ')[1]?.split('.') ?? []
    expect(Buffer.from(nonce ?? '', 'base64url')).toHaveLength(12)
    expect(Buffer.from(ciphertext ?? '', 'base64url')).toHaveLength(KEY.length)
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16)
  })

  it('fingerprints with a keyed HMAC: stable per ENCRYPTION_KEY, unlike a plain hash', () => {
    const a = createAesKeyCipher(SECRET_A)
    expect(a.fingerprint(KEY)).toBe(createAesKeyCipher(SECRET_A).fingerprint(KEY))
    expect(a.fingerprint(KEY)).not.toBe(createAesKeyCipher(SECRET_B).fingerprint(KEY))
    expect(a.fingerprint(KEY)).not.toBe(plainKeyCipher.fingerprint(KEY))
  })

  it('refuses to open with another ENCRYPTION_KEY, or a tampered value', () => {
    const sealed = createAesKeyCipher(SECRET_A).seal(KEY)
    expect(() => createAesKeyCipher(SECRET_B).open(sealed)).toThrow()
    const [prefix, body = ''] = sealed.split(' ')
    const [nonce, ciphertext = '', tag] = body.split('.')
    const flipped = Buffer.from(ciphertext, 'base64url')
    flipped[0] = (flipped[0] ?? 0) ^ 1
    const tampered = `${prefix} ${nonce}.${flipped.toString('base64url')}.${tag}`
    expect(() => createAesKeyCipher(SECRET_A).open(tampered)).toThrow()
    expect(() => createAesKeyCipher(SECRET_A).open(KEY)).toThrow(/not encrypted/)
    expect(() => plainKeyCipher.open(sealed)).toThrow(/no ENCRYPTION_KEY/)
  })
})
