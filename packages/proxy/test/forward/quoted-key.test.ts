import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { ERROR_BODY_MAX_BYTES } from '../../src/attempt.js'
import { maskQuotedSecret } from '../../src/secret-masker.js'
import { KEYS } from '../helpers/fakes.js'
import { CHAT, clientHeaders, startProxyApp } from '../helpers/proxy-app.js'

const KEY = KEYS[0].secret
/** The key as a client may see it: its first six and last four characters, same length. */
const MASKED = `${KEY.slice(0, 6)}${'*'.repeat(KEY.length - 10)}${KEY.slice(-4)}`
const json = { 'content-type': 'application/json' }

/**
 * Regression: an upstream error that quotes the request's Authorization header back was passed
 * through to the client with the upstream key in it (found by the reliability secret scan).
 * docs/behaviour.md §4: upstream keys never appear in errors; the rest of the body is the
 * upstream's own.
 */
describe('an upstream error quoting the upstream key', () => {
  it('reaches the client with the key masked, the rest of the body unchanged', async () => {
    const proxy = await startProxyApp()
    const quoted = { message: `bad header: Authorization: Bearer ${KEY}`, data: { key: KEY } }
    proxy.upstream.script({ fault: { kind: 'status', status: 400, body: quoted } })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(400)
    const text = await response.body.text()
    expect(text).not.toContain(KEY)
    expect(JSON.parse(text)).toEqual({
      message: `bad header: Authorization: Bearer ${MASKED}`,
      data: { key: MASKED },
    })
    // The mask keeps the length: the upstream's Content-Length is passed on, and true.
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(text))
    const [record] = await proxy.waitForRecords(1)
    expect(record?.errorMessage).toBe(`bad header: Authorization: Bearer ${MASKED}`)
  })

  it('is masked in a body longer than the 64 KiB read before deciding, across its chunks', async () => {
    const proxy = await startProxyApp()
    const padding = 'p'.repeat(ERROR_BODY_MAX_BYTES)
    const body = { message: `key ${KEY} refused`, padding, tail: `the end, ${KEY} again` }
    proxy.upstream.script({ fault: { kind: 'status', status: 400, body } })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(400)
    expect(JSON.parse(await response.body.text())).toEqual({
      ...body,
      message: `key ${MASKED} refused`,
      tail: `the end, ${MASKED} again`,
    })
  })

  it('maskQuotedSecret leaves a body without the key as the same buffer', () => {
    const head = Buffer.from('{"message":"busy"}')
    expect(maskQuotedSecret(head, KEY)).toBe(head)
    expect(maskQuotedSecret(Buffer.from(`${KEY}${KEY}中`), KEY).toString()).toBe(
      `${MASKED}${MASKED}中`,
    )
  })
})
