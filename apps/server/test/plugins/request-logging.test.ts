import { parseConfig } from '@sfp/schemas'
import Fastify from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import { loggerOptions } from '../../src/build-server.js'
import { lazyRequestLogger } from '../../src/request-logger.js'
import { buildTestApp, TEST_CLIENT_KEY } from '../helpers/test-app.js'

/** The server's own logger settings (level, redaction), writing into `lines`. */
function capturingLogger(level: 'info' | 'debug', lines: unknown[]) {
  const options = loggerOptions(parseConfig({ LOG_LEVEL: level }))
  return {
    ...(typeof options === 'object' ? options : {}),
    stream: { write: (line: string) => lines.push(JSON.parse(line)) },
  }
}

async function appLoggingAt(level: 'info' | 'debug') {
  const lines: { msg: string; status?: number; path?: string; reqId?: string }[] = []
  const { app } = await buildTestApp({}, { logger: capturingLogger(level, lines) })
  const completed = () => lines.filter((line) => line.msg === 'request completed')
  return { app, completed }
}

describe('per-request log lines', () => {
  it('at info, only failed requests (5xx) leave a line, without their query string', async () => {
    const { app, completed } = await appLoggingAt('info')
    await app.inject({ method: 'GET', url: '/healthz' })
    // No upstream key in the pool: 503 no_available_key.
    await app.inject({
      method: 'GET',
      url: '/v1/models?secret=not-logged',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    })
    expect(completed()).toEqual([
      expect.objectContaining({ path: '/v1/models', status: 503, method: 'GET' }),
    ])
  })

  it("carry the request's id, the one its answer names in X-Request-Id", async () => {
    const { app, completed } = await appLoggingAt('info')
    const failed = await app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}` },
    })
    expect(failed.statusCode).toBe(503)
    expect(failed.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(completed()).toEqual([
      expect.objectContaining({ reqId: failed.headers['x-request-id'] }),
    ])
  })

  it('at debug, every request leaves one line', async () => {
    const { app, completed } = await appLoggingAt('debug')
    await app.inject({ method: 'GET', url: '/healthz' })
    await app.inject({ method: 'GET', url: '/readyz' })
    expect(completed().map((line) => line.path)).toEqual(['/healthz', '/readyz'])
  })
})

describe('secret headers in log lines', () => {
  it('are blanked when a request is logged with its headers', async () => {
    const lines: unknown[] = []
    const fastify = Fastify({ logger: capturingLogger('info', lines) })
    fastify.get('/echo', async (request) => {
      request.log.info({ headers: request.headers }, 'headers')
      return 'ok'
    })
    const secrets = {
      authorization: 'Bearer sk-secret-authorization-value',
      'x-api-key': 'sk-secret-x-api-key-value',
      cookie: 'session=secret-cookie-value',
    }
    await fastify.inject({ method: 'GET', url: '/echo', headers: secrets })
    await fastify.close()

    const logged = lines.filter((line) => (line as { msg?: string }).msg === 'headers')
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({
      headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]' },
    })
    const text = JSON.stringify(lines)
    for (const value of Object.values(secrets)) expect(text).not.toContain(value)
  })
})

describe('the request logger', () => {
  /** A stand-in for pino's logger: what `child()` was asked, and what its child logged. */
  function parentLogger() {
    const logged: unknown[][] = []
    const made = {
      level: 'warn',
      info: (...args: unknown[]) => logged.push(['info', ...args]),
      error: (...args: unknown[]) => logged.push(['error', ...args]),
      child: vi.fn(),
    }
    const parent = {
      level: 'info',
      child: vi.fn(() => made),
    } as unknown as Parameters<typeof lazyRequestLogger>[0]
    return { parent, made, logged }
  }

  it('is made only when the request first logs, with its bindings and options, once', () => {
    const { parent, logged } = parentLogger()
    const fastify = Fastify()
    const log = lazyRequestLogger.call(fastify, parent, { reqId: 'r-1' }, {}, {} as never)
    expect(parent.child).not.toHaveBeenCalled()
    expect(log.level).toBe('info')
    log.info({ status: 500 }, 'request completed')
    log.error('second')
    expect(parent.child).toHaveBeenCalledTimes(1)
    expect(parent.child).toHaveBeenCalledWith({ reqId: 'r-1' }, {})
    expect(logged).toEqual([
      ['info', { status: 500 }, 'request completed'],
      ['error', 'second'],
    ])
    // From then on, the level is the child's own.
    expect(log.level).toBe('warn')
  })

  it("reads a route's own level before it is made, and a level set makes it", () => {
    const { parent, made } = parentLogger()
    const fastify = Fastify()
    const log = lazyRequestLogger.call(
      fastify,
      parent,
      { reqId: 'r-2' },
      { level: 'debug' },
      {} as never,
    )
    expect(log.level).toBe('debug')
    log.level = 'error'
    expect(parent.child).toHaveBeenCalledTimes(1)
    expect(made.level).toBe('error')
    log.child({ part: 'x' })
    expect(made.child).toHaveBeenCalledWith({ part: 'x' }, undefined)
  })
})
