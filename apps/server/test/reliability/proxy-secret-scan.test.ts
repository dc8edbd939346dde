import { describe, expect, it } from 'vitest'
import { REDACTED_PATHS } from '../../src/build-server.js'
import { chatBody, KEY_A, KEY_B, startProxyApp } from '../helpers/proxy-app.js'
import { basicAuth, sqliteOf, TEST_CLIENT_KEY } from '../helpers/test-app.js'

const CHAT = '/v1/chat/completions'

/** What a careless upstream writes when it rejects a request: the request's headers, quoted. */
const quotingHeaders = (key: string, status: number) => ({
  code: status * 100,
  message: `rejected request with headers {"authorization":"Bearer ${key}","content-type":"application/json"}`,
  data: { received_key: key },
})

/**
 * docs/behaviour.md §4: upstream keys never appear in logs or errors, and neither do client keys. A
 * session of proxied requests, successes and every kind of failure, including upstream errors that
 * quote the request's headers back, with the server logging at trace level; afterwards no key may
 * be in a log line, an answer the client got, a request log row or a key event.
 */
describe('no key in logs or error answers after proxied requests', () => {
  it('holds for successes, proxy errors and upstream errors that quote the key back', async () => {
    const logLines: string[] = []
    const test = await startProxyApp(
      { KEY_SWITCH_POLICY: 'immediate', UPSTREAM_RETRIES: '1' },
      {
        logger: {
          level: 'trace',
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          stream: { write: (line: string) => logLines.push(line) },
        },
      },
    )
    const { app, upstream, url } = test
    const created = await app.inject({
      method: 'POST',
      url: '/api/manage/client-keys',
      headers: { authorization: basicAuth() },
      payload: { name: 'scanner' },
    })
    const dashboardClientKey = (created.json() as { plaintext: string }).plaintext
    const secrets = { KEY_A, KEY_B, TEST_CLIENT_KEY, dashboardClientKey }

    const answers: { label: string; status: number; body: string }[] = []
    async function send(
      label: string,
      init: { path?: string; body?: string; headers?: Record<string, string> } = {},
    ): Promise<void> {
      const response = await fetch(`${url}${init.path ?? CHAT}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_CLIENT_KEY}`,
          'content-type': 'application/json',
          ...init.headers,
        },
        body: init.body ?? JSON.stringify(chatBody(label)),
      })
      answers.push({ label, status: response.status, body: await response.text() })
    }

    await send('plain success')
    await send('streamed success', { body: JSON.stringify(chatBody('s', { stream: true })) })
    await send('dashboard client key', {
      headers: { authorization: `Bearer ${dashboardClientKey}` },
    })
    await send('x-api-key', { headers: { authorization: '', 'x-api-key': TEST_CLIENT_KEY } })
    // Wrong client keys that look like the real ones: the 401 must not echo what was presented.
    await send('wrong client key', { headers: { authorization: `Bearer ${TEST_CLIENT_KEY}x` } })
    await send('upstream key as client key', { headers: { authorization: `Bearer ${KEY_A}` } })
    await send('bad json', { body: `{"key": "${TEST_CLIENT_KEY}"` })
    // Upstream errors quoting the key they were sent, of every class the proxy handles: passed
    // through (4xx), retried once and passed through (5xx), or moved on from (429: the lane moves
    // to key B, policy immediate).
    for (const status of [400, 404, 422, 500, 503, 429]) {
      upstream.script({
        match: { path: CHAT, key: KEY_A },
        fault: { kind: 'status', status, body: quotingHeaders(KEY_A, status) },
        times: status >= 500 ? 2 : 1,
      })
      await send(`upstream ${status} quoting`)
    }
    // A 403 for the model, quoting key B, the lane's key now: the model is blocked on B and the
    // request moves on (key A is cooling: the 403 or a refusal comes back, masked either way).
    upstream.script({
      match: { path: CHAT, key: KEY_B },
      fault: { kind: 'status', status: 403, body: quotingHeaders(KEY_B, 403) },
    })
    await send('upstream 403 quoting')
    // 401 quoting the key: confirmed invalid through /user/info, which quotes it back too.
    upstream.script(
      {
        match: { key: KEY_A },
        fault: { kind: 'status', status: 401, body: quotingHeaders(KEY_A, 401) },
        times: 2,
      },
      {
        match: { key: KEY_B },
        fault: { kind: 'status', status: 500, body: quotingHeaders(KEY_B, 500) },
        times: Number.POSITIVE_INFINITY,
      },
    )
    await send('upstream 401 quoting, then the other key fails too')
    await app.requestLog.flush()
    const rows = sqliteOf(app).prepare('SELECT * FROM request_logs').all()
    const events = await app.database.keyEvents.list({ limit: 10_000 })
    const keyViews = app.keyPool.list({ offset: 0 })
    // Shutdown logs too.
    await app.close()

    expect(rows.length).toBeGreaterThanOrEqual(answers.length)
    const haystacks = [
      ...answers.map((answer) => `${answer.label}: ${answer.body}`),
      ...logLines,
      ...rows.map((row) => JSON.stringify(row)),
      ...events.map((event) => JSON.stringify(event)),
      JSON.stringify(keyViews),
    ]
    expect(answers.length).toBeGreaterThan(10)
    // At trace level every request leaves at least its "request completed" line.
    expect(logLines.length).toBeGreaterThanOrEqual(answers.length)
    for (const [name, secret] of Object.entries(secrets)) {
      const leaks = haystacks.filter((text) => text.includes(secret))
      expect(
        leaks.map((text) => text.slice(0, 400)),
        `${name} leaked`,
      ).toEqual([])
    }
    // The keys were there to be leaked: the upstream saw both and quoted them.
    expect(new Set(upstream.requests.map((request) => request.key))).toEqual(
      new Set([KEY_A, KEY_B]),
    )
  })
})
