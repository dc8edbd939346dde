import { parseConfig } from '@sfp/schemas'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { loggerOptions } from '../../src/build-server.js'
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
  const lines: { msg: string; status?: number; path?: string }[] = []
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
