import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { EgressNotFound } from '../src/errors.js'
import {
  builtinId,
  httpProxy,
  NOWHERE,
  nextChange,
  rejectionOf,
  socksProxy,
  startService,
  upstream,
} from './helpers/harness.js'

const USER = 'check-user'
const PASSWORD = 'check-secret-71b2'

describe('check(id)', () => {
  it('through a working HTTP proxy: ok, a latency, and a keyless /v1/models upstream', async () => {
    const mock = await upstream()
    const real = await httpProxy({
      outgoingAddress: '127.0.0.2',
      auth: { username: USER, password: PASSWORD },
    })
    const { service } = await startService({ settings: { upstreamBaseUrl: mock.url } })
    const { id } = await service.create({
      url: `http://${USER}:${PASSWORD}@127.0.0.1:${real.port}`,
    })
    const result = await service.check(id)
    expect(result).toEqual({ ok: true, latencyMs: expect.any(Number), error: null })
    expect(Number.isInteger(result.latencyMs)).toBe(true)
    expect(result.latencyMs).toBeGreaterThanOrEqual(0)
    expect(Object.keys(result).sort()).toEqual(['error', 'latencyMs', 'ok'])
    expect(mock.requests).toHaveLength(1)
    const seen = mock.requests[0]
    expect(seen).toMatchObject({ method: 'GET', path: '/v1/models', sourceAddress: '127.0.0.2' })
    expect(seen?.headers.authorization).toBeUndefined()
    expect(seen?.key).toBeUndefined()
    expect(seen?.headers['proxy-authorization']).toBeUndefined()
    expect(service.lane(id)?.state()).toBe('up')
  })

  it('through a working SOCKS5 proxy', async () => {
    const mock = await upstream()
    const real = await socksProxy({
      outgoingAddress: '127.0.0.3',
      auth: { username: USER, password: PASSWORD },
    })
    const { service } = await startService({ settings: { upstreamBaseUrl: mock.url } })
    const { id } = await service.create({
      url: `socks5h://${USER}:${PASSWORD}@127.0.0.1:${real.port}`,
    })
    expect(await service.check(id)).toMatchObject({ ok: true, error: null })
    expect(mock.requests[0]).toMatchObject({ path: '/v1/models', sourceAddress: '127.0.0.3' })
    expect(mock.requests[0]?.headers.authorization).toBeUndefined()
  })

  it('any HTTP answer proves the way out, a 503 included; the base path is kept', async () => {
    const mock = await upstream()
    mock.script({ fault: { kind: 'status', status: 503, body: { code: 50508, message: 'busy' } } })
    const { service } = await startService({ settings: { upstreamBaseUrl: `${mock.url}/sf/` } })
    const id = builtinId(service)
    expect(await service.check(id)).toMatchObject({ ok: true, error: null })
    expect(mock.requests[0]?.path).toBe('/sf/v1/models')
  })

  it('through a killed proxy: not ok, the egress goes down, the message names no secret', async () => {
    const mock = await upstream()
    const real = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    const clock = createManualClock()
    const { service } = await startService({ clock, settings: { upstreamBaseUrl: mock.url } })
    const { id } = await service.create({
      url: `http://${USER}:${PASSWORD}@127.0.0.1:${real.port}`,
    })
    await real.kill()
    const changed = nextChange(service)
    const result = await service.check(id)
    await changed
    expect(result).toEqual({
      ok: false,
      latencyMs: null,
      error: 'the proxy refused the connection (ECONNREFUSED)',
    })
    for (const secret of [PASSWORD, USER, String(real.port), '://']) {
      expect(result.error).not.toContain(secret)
    }
    expect(service.view(id)).toMatchObject({
      state: 'down',
      stateReason: 'the proxy refused the connection (ECONNREFUSED)',
      retryAt: new Date(clock.now() + 30_000).toISOString(),
    })
    expect(mock.requests).toHaveLength(0)

    // A good check brings it back at once.
    await real.restart()
    expect(await service.check(id)).toMatchObject({ ok: true })
    expect(service.lane(id)?.state()).toBe('up')
    expect(clock.pendingTimers()).toBe(0)
  })

  it('a 407 from the proxy: not ok and down, the proxy answer not quoted', async () => {
    const mock = await upstream()
    const real = await httpProxy({ auth: { username: USER, password: PASSWORD } })
    const { service } = await startService({ settings: { upstreamBaseUrl: mock.url } })
    const { id } = await service.create({ url: `http://${USER}:wrong@127.0.0.1:${real.port}` })
    const result = await service.check(id)
    expect(result).toMatchObject({
      ok: false,
      error: 'the proxy refused the tunnel (UND_ERR_ABORTED)',
    })
    expect(service.lane(id)?.state()).toBe('down')
  })

  it('a proxy that never answers CONNECT: not ok within about the connect timeout, down', async () => {
    const mock = await upstream()
    const real = await httpProxy()
    real.setMode('hang')
    const { service } = await startService({
      settings: { upstreamBaseUrl: mock.url, upstreamConnectTimeoutMs: 300, checkTimeoutMs: 300 },
    })
    const { id } = await service.create({ url: `http://127.0.0.1:${real.port}` })
    const startedAt = performance.now()
    const result = await service.check(id)
    expect(performance.now() - startedAt).toBeLessThan(3000)
    expect(result.ok).toBe(false)
    expect(service.lane(id)?.state()).toBe('down')
  })

  it('on a direct egress with the upstream down: not ok, but the egress stays up', async () => {
    const { service } = await startService({ settings: { upstreamBaseUrl: NOWHERE } })
    const id = builtinId(service)
    let changes = 0
    service.onChange(() => {
      changes += 1
    })
    const result = await service.check(id)
    expect(result).toEqual({
      ok: false,
      latencyMs: null,
      error: 'no answer from the upstream (ECONNREFUSED)',
    })
    expect(service.lane(id)?.state()).toBe('up')
    expect(changes).toBe(0)
  })

  it('a check cancelled by its caller does not put a proxy down', async () => {
    const mock = await upstream()
    const real = await httpProxy()
    const { service } = await startService({ settings: { upstreamBaseUrl: mock.url } })
    const { id } = await service.create({ url: `http://127.0.0.1:${real.port}` })
    const result = await service.check(id, AbortSignal.abort())
    expect(result.ok).toBe(false)
    expect(service.lane(id)?.state()).toBe('up')
  })

  it('an unknown id is EgressNotFound', async () => {
    const { service } = await startService()
    expect(await rejectionOf(service.check(999))).toBeInstanceOf(EgressNotFound)
  })
})
