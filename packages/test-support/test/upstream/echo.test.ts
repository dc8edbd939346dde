import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { echoOf } from '../../src/upstream/echo.js'
import { type MockUpstream, startMockUpstream } from '../../src/upstream/server.js'

let upstream: MockUpstream | undefined
afterEach(async () => {
  await upstream?.close()
  upstream = undefined
})

const KEY = 'sk-mock-echo-key-0001'

/** Write `head` (and `body`) on a fresh socket, `Connection: close`; everything read back. */
async function exchange(url: string, head: string, body = ''): Promise<string> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`${head}connection: close\r\n\r\n${body}`, 'latin1')
    })
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
  })
}

/** Status line, header block and body of a raw answer. */
function parse(raw: string) {
  const split = raw.indexOf('\r\n\r\n')
  const [statusLine = '', ...headerLines] = raw.slice(0, split).split('\r\n')
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
    }),
  )
  return { statusLine, headers, body: raw.slice(split + 4) }
}

describe('mock upstream: echo (RFC 9110 TRACE)', () => {
  it('echoes a TRACE as 200 message/http: request line and every header as received, key included', async () => {
    upstream = await startMockUpstream({ accounts: { [KEY]: { totalBalance: '1.00' } } })
    const head =
      'TRACE /v1/models?type=text HTTP/1.1\r\n' +
      'Host: upstream.example\r\n' +
      `Authorization: Bearer ${KEY}\r\n` +
      'X-Odd-Case: caf\u00e9 \u00ff\r\n'
    const answer = parse(await exchange(upstream.url, head))
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK')
    expect(answer.headers['content-type']).toBe('message/http')
    expect(answer.headers['x-siliconcloud-trace-id']).toBe('trace-1')
    expect(answer.body).toBe(`${head}connection: close\r\n\r\n`)
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body, 'latin1'))
    expect(upstream.requests).toHaveLength(1)
    expect(upstream.requests[0]).toMatchObject({ method: 'TRACE', key: KEY })
    expect(upstream.requests[0]?.responseBytes).toBe(Buffer.byteLength(answer.body, 'latin1'))
  })

  it('echoes a TRACE with any key or none: it happens before the key is looked at', async () => {
    upstream = await startMockUpstream({ accounts: { [KEY]: { totalBalance: '1.00' } } })
    for (const authorization of ['', 'authorization: Bearer sk-unknown-key\r\n']) {
      const head = `TRACE / HTTP/1.1\r\nhost: x\r\n${authorization}`
      const answer = parse(await exchange(upstream.url, head))
      expect(answer.statusLine).toBe('HTTP/1.1 200 OK')
      expect(answer.body).toBe(`${head}connection: close\r\n\r\n`)
    }
  })

  it('a fault scripted for a TRACE replaces the echo', async () => {
    upstream = await startMockUpstream()
    upstream.script({ match: { method: 'TRACE' }, fault: { kind: 'status', status: 405 } })
    const refused = parse(await exchange(upstream.url, 'TRACE /v1/models HTTP/1.1\r\nhost: x\r\n'))
    expect(refused.statusLine).toBe('HTTP/1.1 405 Method Not Allowed')
    const echoed = parse(await exchange(upstream.url, 'TRACE /v1/models HTTP/1.1\r\nhost: x\r\n'))
    expect(echoed.headers['content-type']).toBe('message/http')
  })

  it('the echo fault echoes any request, body included, as many times as scripted', async () => {
    upstream = await startMockUpstream()
    upstream.script({ fault: { kind: 'echo' }, times: Number.POSITIVE_INFINITY })
    const body = '{"model":"Qwen/Qwen2.5-7B-Instruct","messages":[]}'
    const requests = [
      [
        'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n' +
          `authorization: Bearer ${KEY}\r\ncontent-type: application/json\r\n` +
          `content-length: ${body.length}\r\n`,
        body,
      ],
      [`GET /v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\n`, ''],
      [`DELETE /v1/files/file-1 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\n`, ''],
      ['PATCH /anything HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n', 'abc'],
    ] as const
    for (const [head, content] of requests) {
      const answer = parse(await exchange(upstream.url, head, content))
      expect(answer.statusLine).toBe('HTTP/1.1 200 OK')
      expect(answer.headers['content-type']).toBe('message/http')
      expect(answer.body).toBe(`${head}connection: close\r\n\r\n${content}`)
    }
    expect(upstream.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'DELETE', 'PATCH'])
  })

  it('the echo fault answers only what it matches, and only `times` times', async () => {
    upstream = await startMockUpstream()
    upstream.script({ match: { path: '/v1/models' }, fault: { kind: 'echo' }, times: 1 })
    const get = `GET /v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\n`
    expect(parse(await exchange(upstream.url, get)).headers['content-type']).toBe('message/http')
    const normal = parse(await exchange(upstream.url, get))
    expect(normal.headers['content-type']).toBe('application/json')
    expect(normal.body).not.toContain(KEY)
    const other = `GET /v1/user/info HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\n`
    expect(parse(await exchange(upstream.url, other)).headers['content-type']).toBe(
      'application/json',
    )
  })

  it('echoOf: the request line, the raw headers in order, a blank line, the body', () => {
    const echo = echoOf(
      {
        method: 'TRACE',
        url: '/v1/x?a=1',
        httpVersion: '1.1',
        rawHeaders: ['Host', 'h', 'Authorization', `Bearer ${KEY}`, 'x-v', '\u00ff'],
      },
      Buffer.from('body'),
    )
    expect(echo).toEqual(
      Buffer.from(
        `TRACE /v1/x?a=1 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${KEY}\r\nx-v: \u00ff\r\n\r\nbody`,
        'latin1',
      ),
    )
  })
})
