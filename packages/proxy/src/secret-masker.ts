import { maskSecret } from '@sfp/schemas'

/**
 * The upstream key an attempt was sent with, masked wherever an answer's body quotes it back (an
 * upstream, or a proxy on the way, echoing the request): docs/behaviour.md §4, the key never
 * reaches the client, in an error or a 2xx body. The mask has the key's own length (its first six
 * and last four characters, `*` between), so an answer passed on with its Content-Length stays
 * exact.
 */
export function maskQuotedSecret(body: Buffer, secret: string): Buffer {
  if (secret === '' || !body.includes(secret)) return body
  const masked = Buffer.from(body)
  const mask = maskOf(secret)
  for (let at = masked.indexOf(secret); at >= 0; at = masked.indexOf(secret, at + mask.length)) {
    mask.copy(masked, at)
  }
  return masked
}

/** What `flush` returns when nothing is held: every answer ends with it, one buffer for all. */
const NOTHING_HELD = Buffer.alloc(0)

/**
 * `maskQuotedSecret` for a body that streams, chunk by chunk: a chunk ending with the start of
 * the key keeps that tail back until the next chunk says whether the key goes on. In practice
 * nothing is held (an SSE event ends with a blank line, a JSON body with `}`).
 */
export class SecretMasker {
  readonly #secret: string
  readonly #bytes: Buffer
  #held: Buffer | null = null

  constructor(secret: string) {
    this.#secret = secret
    this.#bytes = Buffer.from(secret)
  }

  /** The chunk as the client may see it; possibly shorter, by a tail held for the next one. */
  mask(chunk: Buffer): Buffer {
    if (this.#bytes.length === 0) return chunk
    const joined = this.#held === null ? chunk : Buffer.concat([this.#held, chunk])
    this.#held = null
    const masked = maskQuotedSecret(joined, this.#secret)
    const partial = this.#partialTail(masked)
    if (partial === 0) return masked
    this.#held = Buffer.from(masked.subarray(masked.length - partial))
    return masked.subarray(0, masked.length - partial)
  }

  /** What is held back, at the end of the body. */
  flush(): Buffer {
    const held = this.#held
    this.#held = null
    return held ?? NOTHING_HELD
  }

  /** Length of the longest end of `chunk` that is a start of the key (shorter than the key). */
  #partialTail(chunk: Buffer): number {
    const secret = this.#bytes
    const first = secret[0] ?? 0
    const from = Math.max(0, chunk.length - secret.length + 1)
    for (let at = chunk.indexOf(first, from); at >= 0; at = chunk.indexOf(first, at + 1)) {
      const length = chunk.length - at
      if (chunk.compare(secret, 0, length, at, chunk.length) === 0) return length
    }
    return 0
  }
}

/** Every chunk of `body` through one `SecretMasker`, the held tail last. */
export async function* maskedChunks(
  body: AsyncIterable<Buffer>,
  secret: string,
): AsyncGenerator<Buffer> {
  const masker = new SecretMasker(secret)
  for await (const chunk of body) {
    const shown = masker.mask(chunk)
    if (shown.length > 0) yield shown
  }
  const held = masker.flush()
  if (held.length > 0) yield held
}

function maskOf(secret: string): Buffer {
  const [head = '', tail = ''] = maskSecret(secret).split('…')
  const hidden = Buffer.byteLength(secret) - Buffer.byteLength(head) - Buffer.byteLength(tail)
  return Buffer.from(`${head}${'*'.repeat(Math.max(0, hidden))}${tail}`)
}
