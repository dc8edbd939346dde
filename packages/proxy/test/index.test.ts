import { Readable } from 'node:stream'
import type { Dispatch } from '@sfp/dispatch'
import { clockPlugin } from '@sfp/runtime'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { type ProxyPluginOptions, proxyPlugin, proxyRoutes, RequestTooLarge } from '../src/index.js'
import { FakeDispatch } from './helpers/fakes.js'
import {
  CLIENT_KEY,
  clientHeaders,
  spoolFolders,
  startProxyApp,
  useOwnTmpdir,
} from './helpers/proxy-app.js'

let upstream: MockUpstream | undefined
let dispatch: FakeDispatch | undefined
afterEach(async () => {
  await dispatch?.close()
  await upstream?.close()
  dispatch = undefined
  upstream = undefined
})

const settings = {
  upstreamBaseUrl: 'http://127.0.0.1:9',
  upstreamRetries: 2,
  upstreamConnectTimeoutMs: 1000,
  upstreamHeadersTimeoutMs: 1000,
  upstreamBodyIdleTimeoutMs: 1000,
  bodyLimitBytes: 1000,
  clientBodyIdleTimeoutMs: 1000,
}
const verifyClientKey = (key: string) => (key === CLIENT_KEY ? { clientKeyId: null } : undefined)

/**
 * An app with the plugin the proxy depends on. With `decorate`, it decorates the app with the
 * fake, which implements only the part of `Dispatch` the proxy uses.
 */
function appWith(decorate: { dispatch?: FakeDispatch } = {}) {
  const app = Fastify({ logger: false })
  app.register(clockPlugin)
  const { dispatch } = decorate
  app.register(
    fp(
      async (scope) =>
        void (dispatch && scope.decorate('dispatch', dispatch as unknown as Dispatch)),
      { name: 'dispatch' },
    ),
  )
  return app
}

describe('the proxy plugins', () => {
  it('validate their wiring at registration, naming the bad option (settings come parsed)', async () => {
    const other = appWith()
    other.register(proxyPlugin, { settings } as ProxyPluginOptions)
    await expect(other.ready()).rejects.toThrow(/verifyClientKey: must be a function/)
  })

  it('need the dispatch plugin', async () => {
    const app = Fastify({ logger: false })
    app.register(clockPlugin)
    app.register(proxyPlugin, { settings, verifyClientKey })
    await expect(app.ready()).rejects.toThrow(/dispatch/)
  })

  it('need a dispatch, from the decoration or the options', async () => {
    const app = appWith()
    app.register(proxyPlugin, { settings, verifyClientKey })
    await expect(app.ready()).rejects.toThrow(/"dispatch" decoration/)
    dispatch = new FakeDispatch()
    const withOptions = appWith()
    withOptions.register(proxyPlugin, { settings, verifyClientKey, dispatch })
    await withOptions.ready()
    // The settings' body limit (1,000 bytes) is the one the service receives JSON under.
    const declaredTooLong = withOptions.proxy.receiveJson(Readable.from([]), '1001')
    await expect(declaredTooLong).rejects.toBeInstanceOf(RequestTooLarge)
    const tooLong = withOptions.proxy.receiveJson(Readable.from([Buffer.alloc(1001)]), undefined)
    await expect(tooLong).rejects.toBeInstanceOf(RequestTooLarge)
    const body = await withOptions.proxy.receiveJson(Readable.from([Buffer.from('{}')]), '2')
    expect(body.toString()).toBe('{}')
    await withOptions.close()
  })

  it("send through the lease's dispatcher, and remove their spool folder with the app", async () => {
    upstream = await startMockUpstream()
    dispatch = new FakeDispatch()
    const tmp = useOwnTmpdir()
    const app = appWith({ dispatch })
    app.register(proxyPlugin, {
      settings: { ...settings, upstreamBaseUrl: upstream.url },
      verifyClientKey,
    })
    app.register(proxyRoutes, { prefix: '/v1' })
    const response = await app.inject({ url: '/v1/models', headers: clientHeaders() })
    expect(response.statusCode).toBe(200)
    expect(dispatch.begun).toEqual([1])
    // The connection is the lane's, kept alive by its dispatcher: the proxy has none of its own.
    expect(upstream.openSockets()).toBe(1)
    expect(spoolFolders(tmp)).toEqual([{ name: expect.any(String), files: [] }])
    await app.close()
    expect(spoolFolders(tmp)).toEqual([])
    // The lane's connection outlives the app: closing it is the dispatch's business.
    expect(upstream.openSockets()).toBe(1)
  })

  it('forward GET, POST and DELETE, with or without a body, and leave other routes alone', async () => {
    const proxy = await startProxyApp()
    for (const method of ['GET', 'DELETE', 'POST'] as const) {
      const response = await request(`${proxy.url}/v1/files/file-1`, {
        method,
        headers: clientHeaders(method === 'GET' ? {} : { 'content-type': 'application/json' }),
        body: method === 'GET' ? undefined : '{"purpose":"batch"}',
      })
      expect(response.statusCode).toBe(404)
      await response.body.dump()
    }
    expect(proxy.upstream.requests.map((r) => [r.method, r.path, r.body.toString()])).toEqual([
      ['GET', '/v1/files/file-1', ''],
      ['DELETE', '/v1/files/file-1', '{"purpose":"batch"}'],
      ['POST', '/v1/files/file-1', '{"purpose":"batch"}'],
    ])
    // Other methods are refused (test/methods.test.ts). Outside the two prefixes nothing is
    // proxied (and no client key is asked for).
    const other = await request(`${proxy.url}/v2/models`)
    expect(other.statusCode).toBe(404)
    await other.body.dump()
    expect(proxy.upstream.requests).toHaveLength(3)
    expect(proxy.records).toHaveLength(3)
  })
})
