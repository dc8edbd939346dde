import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { RequestTooLarge } from './errors.js'
import { IdleTimer } from './receive-body.js'
import type { ClientBody } from './request-body.js'

/** Uploads up to this size stay in memory; larger ones are spooled to a temporary file. */
export const UPLOAD_MEMORY_BYTES = 1024 * 1024

export interface UploadLimits {
  /** BODY_LIMIT_MB in bytes. */
  limit: number
  /** CLIENT_BODY_IDLE_TIMEOUT_MS: the upload fails with 408 when nothing arrives this long. */
  idleMs: number
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
 * declared length or the bytes read pass the limit, RequestTimeout when it stops arriving, and the
 * source's error when the client leaves; nothing is left on disk then.
 */
export function receiveUpload(
  source: Readable,
  declaredLength: string | undefined,
  { limit, idleMs, spoolDir, memoryBytes = UPLOAD_MEMORY_BYTES }: UploadLimits,
): Promise<ClientBody> {
  if (declaredLength !== undefined && Number(declaredLength) > limit) {
    return Promise.reject(new RequestTooLarge(limit))
  }
  return new Promise<ClientBody>((resolve, reject) => {
    const held: Buffer[] = []
    let bytes = 0
    let file: WriteStream | null = null
    let path: string | null = null
    /** Spool writes, one after another; the source waits while one is pending. */
    let writing: Promise<void> = Promise.resolve()
    let settled = false

    function stop(): void {
      settled = true
      idle.stop()
      source.off('data', onData)
      source.off('end', onEnd)
      source.off('error', fail)
    }
    // The request stays as it is (not destroyed): the refusal is answered on its connection.
    function fail(error: Error): void {
      if (settled) return
      stop()
      file?.destroy()
      const removed = path === null ? Promise.resolve() : rm(path, { force: true })
      removed.then(
        () => reject(error),
        () => reject(error),
      )
    }
    const idle = new IdleTimer(idleMs, fail)

    function spool(target: WriteStream, pieces: Buffer[]): void {
      source.pause()
      writing = writing.then(async () => {
        for (const piece of pieces) await write(target, piece)
      })
      writing.then(() => {
        if (!settled) source.resume()
      }, fail)
    }
    function onData(chunk: Buffer): void {
      idle.refresh()
      bytes += chunk.length
      if (bytes > limit) {
        fail(new RequestTooLarge(limit))
        return
      }
      if (file !== null) {
        spool(file, [chunk])
        return
      }
      held.push(chunk)
      if (bytes <= memoryBytes) return
      path = join(spoolDir, `upload-${randomUUID()}`)
      file = createWriteStream(path, { flags: 'wx', mode: 0o600 })
      spool(file, held.splice(0))
    }
    function onEnd(): void {
      idle.stop()
      writing
        .then(async () => {
          if (settled) return
          if (file === null || path === null) {
            stop()
            resolve(bytes === 0 ? { kind: 'none' } : { kind: 'bytes', bytes: Buffer.concat(held) })
            return
          }
          file.end()
          await finished(file)
          if (settled) return
          stop()
          resolve({ kind: 'file', path, length: bytes })
        })
        .catch(fail)
    }
    source.on('data', onData)
    source.once('end', onEnd)
    source.once('error', fail)
  })
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
