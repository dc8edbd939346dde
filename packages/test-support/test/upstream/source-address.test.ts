import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { type MockUpstream, startMockUpstream } from '../../src/upstream/server.js'

let upstream: MockUpstream
afterEach(async () => upstream?.close())

/** A GET to the mock from a chosen loopback address (127.0.0.0/8 is all loopback here). */
function getFrom(localAddress: string, path: string, key = 'sk-source-test-1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(upstream.url)
    const outgoing = request(
      { host: '127.0.0.1', port, path, localAddress, headers: { authorization: `Bearer ${key}` } },
      (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
      },
    )
    outgoing.on('error', reject)
    outgoing.end()
  })
}

describe('mock upstream: source addresses and invariants', () => {
  it('records the source address of each request', async () => {
    upstream = await startMockUpstream()
    expect(await getFrom('127.0.0.5', '/v1/models')).toBe(200)
    expect(upstream.requests[0]?.sourceAddress).toBe('127.0.0.5')
    await getFrom('127.0.0.6', '/v1/models')
    expect(upstream.sources()).toEqual(
      new Map([
        ['127.0.0.5', 1],
        ['127.0.0.6', 1],
      ]),
    )
    expect(() => upstream.violations()).toThrow(/invariants/)
  })

  it('counts a second call in flight from one source, and a key moving source too soon', async () => {
    upstream = await startMockUpstream({ invariants: { guardWindowMs: 60_000, concurrency: 1 } })
    // Both held open for a while, whichever arrives first.
    upstream.script({ fault: { kind: 'delay', ms: 50 }, times: 2 })
    await Promise.all([getFrom('127.0.0.7', '/v1/user/info'), getFrom('127.0.0.7', '/v1/models')])
    await getFrom('127.0.0.8', '/v1/models')
    const { concurrency, keySwitch, keyMove, total } = upstream.violations()
    expect(concurrency).toMatchObject([{ source: '127.0.0.7', key: 'sk-sou…' }])
    expect(keySwitch).toEqual([])
    expect(keyMove).toMatchObject([{ source: '127.0.0.8', otherSource: '127.0.0.7' }])
    expect(total).toBe(2)
    upstream.resetViolations()
    expect(upstream.violations().total).toBe(0)
    expect(upstream.sources().get('127.0.0.7')).toBe(2)
  })
})
