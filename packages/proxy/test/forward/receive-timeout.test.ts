import { describe, expect, it } from 'vitest'
import {
  clientHeaders,
  type ProxyTestApp,
  spoolFolders,
  startProxyApp,
  useOwnTmpdir,
} from '../helpers/proxy-app.js'
import { type RawAnswer, RawClient, rawHead } from '../helpers/raw-http.js'

/** CLIENT_BODY_IDLE_TIMEOUT_MS of these tests. */
const IDLE_MS = 200
const MiB = 1024 * 1024

/** Send the head and `parts` of a body (declared `length` bytes long), then nothing. */
async function stall(
  proxy: ProxyTestApp,
  path: string,
  headers: Record<string, string>,
  length: number,
  ...parts: Buffer[]
): Promise<RawAnswer> {
  const client = new RawClient(proxy.url)
  const head = rawHead('POST', path, {
    ...clientHeaders(headers),
    'content-length': String(length),
  })
  await client.write(head)
  for (const part of parts) await client.write(part)
  return client.answer()
}

function expectTimedOut(answer: RawAnswer): void {
  expect(answer.status).toBe(408)
  expect(answer.headers.connection).toBe('close')
  expect(JSON.parse(answer.body)).toEqual({
    error: {
      message: `The request body stopped arriving for ${IDLE_MS} ms; nothing was sent upstream`,
      type: 'invalid_request_error',
      code: 'request_timeout',
      explanation: { code: 'body_stalled', params: { idleMs: IDLE_MS } },
    },
  })
  expect(answer.closed).toBe(true)
  // After the idle time, not long after it (timers may fire a little early or late).
  expect(answer.answeredAfterMs).toBeGreaterThanOrEqual(IDLE_MS - 20)
  expect(answer.answeredAfterMs).toBeLessThan(IDLE_MS + 1000)
}

async function expectNothingQueued(proxy: ProxyTestApp): Promise<void> {
  expect(proxy.dispatch.leases).toHaveLength(0)
  expect(proxy.upstream.requests).toHaveLength(0)
  const [record] = await proxy.waitForRecords(1)
  expect(record).toMatchObject({ status: 408, errorType: 'request_timeout', attempts: 0 })
}

describe('a request body that stops arriving: 408 after CLIENT_BODY_IDLE_TIMEOUT_MS', () => {
  it('JSON', async () => {
    const proxy = await startProxyApp({ settings: { clientBodyIdleTimeoutMs: IDLE_MS } })
    const json = { 'content-type': 'application/json' }
    const answer = await stall(proxy, '/v1/chat/completions', json, 500, Buffer.from('{"model":'))
    expectTimedOut(answer)
    await expectNothingQueued(proxy)
  })

  it('multipart, stalled after more than the memory share: the spool file goes too', async () => {
    const tmp = useOwnTmpdir()
    const proxy = await startProxyApp({
      settings: { clientBodyIdleTimeoutMs: IDLE_MS, bodyLimitBytes: 4 * MiB },
    })
    const multipart = { 'content-type': 'multipart/form-data; boundary=x' }
    const part = Buffer.concat([Buffer.from('--x\r\n'), Buffer.alloc(1.2 * MiB, 7)])
    const answer = await stall(proxy, '/v1/audio/transcriptions', multipart, 2 * MiB, part)
    expectTimedOut(answer)
    await expectNothingQueued(proxy)
    expect(spoolFolders(tmp).flatMap(({ files }) => files)).toEqual([])
  })

  it('a body whose pieces keep coming, each within the idle time, is not cut', async () => {
    const proxy = await startProxyApp({ settings: { clientBodyIdleTimeoutMs: IDLE_MS } })
    const client = new RawClient(proxy.url)
    const body = Buffer.from(
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
    )
    const head = rawHead('POST', '/v1/audio/transcriptions', {
      ...clientHeaders({ 'content-type': 'multipart/form-data; boundary=x' }),
      'content-length': String(body.length),
    })
    await client.write(head)
    // Four pieces, IDLE_MS / 2 apart: twice the idle time in all.
    const pieces = [0, 15, 30, 45].map((start, i, all) => body.subarray(start, all[i + 1]))
    for (const piece of pieces) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 2))
      await client.write(piece)
    }
    const answer = await client.answer(50)
    // The mock's own answer to a multipart without a file: it got there.
    expect(answer.status).toBe(400)
    expect(proxy.upstream.requests[0]?.body.equals(body)).toBe(true)
    expect(proxy.dispatch.leases).toHaveLength(1)
  })
})
