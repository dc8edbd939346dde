import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, readdirSync, readlinkSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { KEYS } from '../helpers/fakes.js'
import { directLane, httpProxy, proxyLane, socksProxy } from '../helpers/lanes.js'
import {
  clientHeaders,
  type ProxyTestApp,
  spoolFolders,
  startProxyApp,
  until,
  useOwnTmpdir,
} from '../helpers/proxy-app.js'
import { RawClient, rawHead } from '../helpers/raw-http.js'

const MiB = 1024 * 1024
const BUSY = { code: 50508, message: 'System is too busy now. Please try again later.', data: null }
const BLOCKED = {
  code: 50603,
  message: 'System is really busy. Please try again later.',
  data: null,
}

/** A multipart transcription request built by hand, so the bytes sent are known exactly. */
function multipart(file: Buffer, fileName = 'speech.wav') {
  const boundary = 'sfp-test-boundary-4f1c9e'
  const part = (headers: string) => `--${boundary}\r\n${headers}\r\n\r\n`
  const body = Buffer.concat([
    Buffer.from(part('Content-Disposition: form-data; name="model"')),
    Buffer.from('FunAudioLLM/SenseVoiceSmall\r\n'),
    Buffer.from(
      part(
        `Content-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: audio/wav`,
      ),
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

async function upload(proxy: ProxyTestApp, body: Buffer, contentType: string) {
  const response = await request(`${proxy.url}/v1/audio/transcriptions`, {
    method: 'POST',
    headers: clientHeaders({ 'content-type': contentType }),
    body,
  })
  return { status: response.statusCode, json: (await response.body.json()) as { text?: string } }
}

const spooled = (tmp: string) => spoolFolders(tmp).flatMap(({ files }) => files)

/** Spool files this process still has open; empty where /proc is not there to tell. */
function openUploadFiles(): string[] {
  if (!existsSync('/proc/self/fd')) return []
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`)
      } catch {
        return ''
      }
    })
    .filter((target) => target.includes('/upload-'))
}

describe('uploads are received whole, spooled past 1 MiB, and sent again on every attempt', () => {
  it('sent byte for byte, and again the same on a retry; the spool file goes afterwards', async () => {
    const tmp = useOwnTmpdir()
    const proxy = await startProxyApp({ settings: { bodyLimitBytes: 8 * MiB } })
    const file = randomBytes(2 * MiB + 123)
    const { body, contentType } = multipart(file)
    // A busy answer first (retried on the key), then a slow success while we look at the spool.
    proxy.upstream.script(
      { fault: { kind: 'status', status: 503, body: BUSY } },
      { fault: { kind: 'delay', ms: 300 } },
    )
    const answering = upload(proxy, body, contentType)
    await proxy.upstream.waitForRequest(1)
    expect(spooled(tmp)).toEqual([expect.stringMatching(/^upload-/)])
    const answer = await answering
    expect(answer).toEqual({
      status: 200,
      json: { text: `transcribed speech.wav (${file.length} bytes)` },
    })
    const sent = proxy.upstream.requests
    expect(sent).toHaveLength(2)
    for (const received of sent) {
      expect(received.body.equals(body)).toBe(true)
      expect(received.headers['content-type']).toBe(contentType)
      expect(received.headers['content-length']).toBe(String(body.length))
      expect(received.key).toBe(KEYS[0].secret)
    }
    expect(proxy.dispatch.kinds()).toEqual(['upstreamError', 'success'])
    expect(proxy.sleeps).toHaveLength(1)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, attempts: 2, model: null, errorType: null })
    expect(spoolFolders(tmp)).toEqual([{ name: expect.stringMatching(/^sfp-spool-/), files: [] }])
    expect(openUploadFiles()).toEqual([])
  })

  it('sent again the same after a lane move (a block answer), from the new lane', async () => {
    const tmp = useOwnTmpdir()
    const socks = await socksProxy('127.0.0.3')
    const proxy = await startProxyApp({
      settings: { bodyLimitBytes: 8 * MiB },
      lanes: [directLane(1, [50603]), proxyLane(2, 'socks5', socks, { blockCodes: [50603] })],
    })
    proxy.upstream.script({ fault: { kind: 'status', status: 503, body: BLOCKED } })
    const file = randomBytes(3 * MiB)
    const { body, contentType } = multipart(file, 'lane.wav')
    const answer = await upload(proxy, body, contentType)
    expect(answer.status).toBe(200)
    expect(answer.json.text).toBe(`transcribed lane.wav (${file.length} bytes)`)
    const sent = proxy.upstream.requests
    expect(sent.map((r) => r.sourceAddress)).toEqual(['127.0.0.1', '127.0.0.3'])
    expect(sent.every((received) => received.body.equals(body))).toBe(true)
    expect(proxy.dispatch.egressFailures.map(({ failure }) => failure.code)).toEqual([
      'egress_blocked',
    ])
    expect(proxy.dispatch.reports).toEqual([{ keyId: 1, outcome: { kind: 'success' } }])
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 200, egressId: 2 })
    expect(spooled(tmp)).toEqual([])
  })

  it('sent whole through the next lane after a way out that failed; no file left open', async () => {
    const tmp = useOwnTmpdir()
    const dead = await httpProxy('127.0.0.2')
    await dead.kill()
    const socks = await socksProxy('127.0.0.3')
    const proxy = await startProxyApp({
      settings: { bodyLimitBytes: 8 * MiB },
      lanes: [proxyLane(1, 'http', dead), proxyLane(2, 'socks5', socks)],
    })
    const { body, contentType } = multipart(randomBytes(3 * MiB))
    expect((await upload(proxy, body, contentType)).status).toBe(200)
    expect(proxy.upstream.requests.map((r) => r.sourceAddress)).toEqual(['127.0.0.3'])
    expect(proxy.upstream.requests[0]?.body.equals(body)).toBe(true)
    expect(proxy.dispatch.egressFailures.map(({ failure }) => failure.code)).toEqual([
      'egress_down',
    ])
    await proxy.waitForRecords(1)
    expect(spooled(tmp)).toEqual([])
    // The read stream opened for the attempt that never left was closed with it (Linux: /proc).
    expect(openUploadFiles()).toEqual([])
  })

  it('a small upload stays in memory and is sent again the same too', async () => {
    const tmp = useOwnTmpdir()
    const proxy = await startProxyApp()
    proxy.upstream.script({ fault: { kind: 'status', status: 503, body: BUSY } })
    const { body, contentType } = multipart(randomBytes(10_000))
    expect((await upload(proxy, body, contentType)).status).toBe(200)
    expect(proxy.upstream.requests.map((r) => r.body.equals(body))).toEqual([true, true])
    expect(spooled(tmp)).toEqual([])
  })
})

describe('uploads over BODY_LIMIT_MB: 413 before anything is queued', () => {
  it('a declared Content-Length over the limit: 413 before a byte of the body is sent', async () => {
    const proxy = await startProxyApp({ settings: { bodyLimitBytes: 1.5 * MiB } })
    const client = new RawClient(proxy.url)
    await client.write(
      rawHead('POST', '/v1/audio/transcriptions', {
        ...clientHeaders({ 'content-type': 'multipart/form-data; boundary=x' }),
        'content-length': String(2 * MiB),
      }),
    )
    const answer = await client.answer()
    expect(answer.status).toBe(413)
    expect(answer.headers.connection).toBe('close')
    expect(JSON.parse(answer.body)).toMatchObject({
      error: { code: 'request_too_large', type: 'invalid_request_error' },
    })
    expect(answer.closed).toBe(true)
    expect(proxy.dispatch.leases).toHaveLength(0)
    expect(proxy.upstream.requests).toHaveLength(0)
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 413, errorType: 'request_too_large', attempts: 0 })
  })

  it('a chunked upload that passes the limit: 413, no lease, no spool file left', async () => {
    const tmp = useOwnTmpdir()
    const proxy = await startProxyApp({ settings: { bodyLimitBytes: 1.5 * MiB } })
    const req = httpRequest(`${proxy.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: clientHeaders({ 'content-type': 'application/octet-stream' }),
    })
    req.on('error', () => {})
    let answered: IncomingMessage | undefined
    req.once('response', (res: IncomingMessage) => {
      answered = res
    })
    // Up to 4 MiB, in 64 KiB pieces, until the proxy answers.
    let written = 0
    while (answered === undefined && written < 4 * MiB && !req.destroyed) {
      await new Promise<void>((resolve) => req.write(randomBytes(64 * 1024), () => resolve()))
      written += 64 * 1024
    }
    if (answered === undefined) await once(req, 'response')
    const res = answered as unknown as IncomingMessage
    expect(res.statusCode).toBe(413)
    const chunks: Buffer[] = []
    for await (const chunk of res) chunks.push(chunk as Buffer)
    expect(JSON.parse(Buffer.concat(chunks).toString()).error.code).toBe('request_too_large')
    expect(res.headers.connection).toBe('close')
    req.destroy()
    const [record] = await proxy.waitForRecords(1)
    expect(record).toMatchObject({ status: 413, errorType: 'request_too_large', attempts: 0 })
    expect(written).toBeGreaterThan(1.5 * MiB)
    expect(proxy.dispatch.leases).toHaveLength(0)
    expect(proxy.upstream.requests).toHaveLength(0)
    // It was spooled (over 1 MiB) before it passed the limit: the file went with the request.
    await until(() => spooled(tmp).length === 0, 2000, 'the spool file to go')
  })
})
