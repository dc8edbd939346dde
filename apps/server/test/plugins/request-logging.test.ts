import { describe, expect, it } from 'vitest'
import { REDACTED_PATHS } from '../../src/build-server.js'
import { buildTestApp, TEST_CLIENT_KEY } from '../helpers/test-app.js'

async function appLoggingAt(level: 'info' | 'debug') {
  const lines: { msg: string; status?: number; path?: string }[] = []
  const { app } = await buildTestApp(
    {},
    {
      logger: {
        level,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        stream: { write: (line: string) => lines.push(JSON.parse(line)) },
      },
    },
  )
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
