import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { receiveJson } from '../src/receive-body.js'
import { discardUpload, receiveUpload, UPLOAD_MEMORY_BYTES, uploadBody } from '../src/upload.js'
import { until } from './helpers/proxy-app.js'

let spoolDir = ''
beforeEach(() => {
  spoolDir = mkdtempSync(join(tmpdir(), 'sfp-upload-test-'))
})
afterEach(() => rmSync(spoolDir, { recursive: true, force: true }))

const pieces = (...chunks: Buffer[]) => Readable.from(chunks, { objectMode: false })

describe('receiveUpload', () => {
  it('keeps a small upload in memory, as bytes', async () => {
    const body = await receiveUpload(pieces(Buffer.from('abc'), Buffer.from('def')), '6', {
      limit: 10,
      idleMs: 5000,
      spoolDir,
    })
    expect(body).toEqual({ kind: 'bytes', bytes: Buffer.from('abcdef') })
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it('gives none for an empty body', async () => {
    expect(await receiveUpload(pieces(), undefined, { limit: 10, idleMs: 5000, spoolDir })).toEqual(
      {
        kind: 'none',
      },
    )
  })

  it('spools an upload larger than the memory share, read again whole for each attempt', async () => {
    const data = Buffer.from(Array.from({ length: 40 }, (_, i) => i))
    const chunks = [data.subarray(0, 7), data.subarray(7, 30), data.subarray(30)]
    const body = await receiveUpload(pieces(...chunks), undefined, {
      limit: 100,
      idleMs: 5000,
      spoolDir,
      memoryBytes: 8,
    })
    if (body.kind !== 'file') throw new Error(`expected a file, got ${body.kind}`)
    expect(body.length).toBe(40)
    expect(readdirSync(spoolDir)).toEqual([expect.stringMatching(/^upload-/)])
    expect(readFileSync(body.path).equals(data)).toBe(true)
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect((await buffer(uploadBody(body) as Readable)).equals(data)).toBe(true)
    }
    await discardUpload(body)
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it('the default memory share is 1 MiB', async () => {
    const exactly = await receiveUpload(pieces(Buffer.alloc(UPLOAD_MEMORY_BYTES)), undefined, {
      limit: 4 * UPLOAD_MEMORY_BYTES,
      idleMs: 5000,
      spoolDir,
    })
    expect(exactly.kind).toBe('bytes')
    const more = await receiveUpload(pieces(Buffer.alloc(UPLOAD_MEMORY_BYTES + 1)), undefined, {
      limit: 4 * UPLOAD_MEMORY_BYTES,
      idleMs: 5000,
      spoolDir,
    })
    expect(more.kind).toBe('file')
    await discardUpload(more)
  })

  it('refuses a declared length over the limit before reading a byte', async () => {
    const source = new PassThrough()
    await expect(
      receiveUpload(source, '11', { limit: 10, idleMs: 5000, spoolDir }),
    ).rejects.toMatchObject({
      code: 'SFP_REQUEST_TOO_LARGE',
      statusCode: 413,
    })
    expect(source.readableLength).toBe(0)
  })

  it('fails an upload that grows past the limit, leaving no file behind', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(10, 1))
    await expect(
      receiveUpload(pieces(...chunks), undefined, {
        limit: 55,
        idleMs: 5000,
        spoolDir,
        memoryBytes: 8,
      }),
    ).rejects.toMatchObject({ code: 'SFP_REQUEST_TOO_LARGE' })
    expect(readdirSync(spoolDir)).toEqual([])
  })

  it('passes on the source failing (the receive timeout), leaving no file behind', async () => {
    const source = new PassThrough()
    const receiving = receiveUpload(source, undefined, {
      limit: 100,
      idleMs: 5000,
      spoolDir,
      memoryBytes: 8,
    })
    source.write(Buffer.alloc(20))
    await until(() => readdirSync(spoolDir).length === 1, 2000, 'the spool file')
    source.destroy(new Error('stalled'))
    await expect(receiving).rejects.toThrow('stalled')
    expect(readdirSync(spoolDir)).toEqual([])
  })
})

describe('receive timeout', () => {
  it('fails a JSON body with 408 when nothing arrives for the idle time', async () => {
    const source = new PassThrough()
    const started = Date.now()
    source.write('{"a"')
    await expect(receiveJson(source, undefined, { limit: 100, idleMs: 30 })).rejects.toMatchObject({
      code: 'SFP_REQUEST_TIMEOUT',
      statusCode: 408,
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })

  it('lets a body through whose pieces keep arriving in time, and refuses one past the limit', async () => {
    const source = new PassThrough()
    const received = receiveJson(source, undefined, { limit: 100, idleMs: 60 })
    for (let i = 0; i < 5; i += 1) {
      source.write(String(i))
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    source.end()
    expect((await received).toString()).toBe('01234')
    const big = new PassThrough()
    const refused = receiveJson(big, undefined, { limit: 3, idleMs: 1000 })
    big.write('12345')
    await expect(refused).rejects.toMatchObject({ code: 'SFP_REQUEST_TOO_LARGE' })
    await expect(
      receiveJson(new PassThrough(), '4', { limit: 3, idleMs: 1000 }),
    ).rejects.toMatchObject({
      code: 'SFP_REQUEST_TOO_LARGE',
    })
  })

  it('fails an upload with 408 when it stops arriving, leaving nothing on disk', async () => {
    const source = new PassThrough()
    source.write(Buffer.alloc(10))
    await expect(
      receiveUpload(source, undefined, { limit: 100, idleMs: 30, spoolDir }),
    ).rejects.toMatchObject({
      code: 'SFP_REQUEST_TIMEOUT',
    })
    expect(readdirSync(spoolDir)).toEqual([])
  })
})
