import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { RequestTooLarge } from './errors.js'
import type { ClientBody } from './request-body.js'

/** Uploads up to this size stay in memory; larger ones are spooled to a temporary file. */
export const UPLOAD_MEMORY_BYTES = 1024 * 1024

export interface UploadLimits {
  /** BODY_LIMIT_MB in bytes. */
  limit: number
  /** Where larger uploads are spooled (a folder of this process's own). */
  spoolDir: string
  memoryBytes?: number
}

function write(file: WriteStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    file.write(chunk, (error) => (error ? reject(error) : resolve()))
  })
}

/**
 * Receive an upload (multipart, binary) whole before anything is queued, so a slow client never
 * holds an egress lane and every attempt can send it again (a retry, another key, another lane).
 * In memory up to `memoryBytes`, then in a temporary file. Throws RequestTooLarge as soon as the
 * declared length or the bytes read pass the limit, and the source's error (the receive timeout,
 * the client leaving); nothing is left on disk then.
 */
export async function receiveUpload(
  source: Readable,
  declaredLength: string | undefined,
  { limit, spoolDir, memoryBytes = UPLOAD_MEMORY_BYTES }: UploadLimits,
): Promise<ClientBody> {
  if (declaredLength !== undefined && Number(declaredLength) > limit)
    throw new RequestTooLarge(limit)
  const chunks: Buffer[] = []
  let bytes = 0
  let file: WriteStream | null = null
  let path: string | null = null
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytes += chunk.length
      if (bytes > limit) throw new RequestTooLarge(limit)
      if (file !== null) {
        await write(file, chunk)
        continue
      }
      chunks.push(chunk)
      if (bytes <= memoryBytes) continue
      path = join(spoolDir, `upload-${randomUUID()}`)
      file = createWriteStream(path, { flags: 'wx', mode: 0o600 })
      for (const held of chunks.splice(0)) await write(file, held)
    }
    if (file === null || path === null) {
      return bytes === 0 ? { kind: 'none' } : { kind: 'bytes', bytes: Buffer.concat(chunks) }
    }
    file.end()
    await finished(file)
    return { kind: 'file', path, length: bytes }
  } catch (error) {
    file?.destroy()
    if (path !== null) await rm(path, { force: true })
    throw error
  }
}

/** The body of one attempt: bytes as they are, a spooled upload read again from its file. */
export function uploadBody(body: ClientBody): Buffer | Readable | undefined {
  if (body.kind === 'bytes') return body.bytes
  if (body.kind === 'file') return createReadStream(body.path)
  return undefined
}

/** The request is over: its spooled file goes. */
export async function discardUpload(body: ClientBody): Promise<void> {
  if (body.kind === 'file') await rm(body.path, { force: true })
}
