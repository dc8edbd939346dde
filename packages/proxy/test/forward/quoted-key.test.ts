import { maskSecret } from '@sfp/schemas'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { ERROR_BODY_MAX_BYTES } from '../../src/attempt.js'
import { maskQuotedSecret } from '../../src/deliver.js'
import { KEYS } from '../helpers/fakes.js'
import { CHAT, clientHeaders, startProxyApp } from '../helpers/proxy-app.js'

const KEY = KEYS[0].secret
const json = { 'content-type': 'application/json' }

/**
 * Regression: an upstream error that quotes the request's Authorization header back was passed
 * through to the client with the upstream key in it (found by the reliability secret scan).
 * CONTRACT §4: upstream keys never appear in errors; the rest of the body is the upstream's own.
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
      message: `bad header: Authorization: Bearer ${maskSecret(KEY)}`,
      data: { key: maskSecret(KEY) },
    })
    // The length changed with the mask: the upstream's Content-Length is not passed on.
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(text))
    const [record] = await proxy.waitForRecords(1)
    expect(record?.errorMessage).toBe(`bad header: Authorization: Bearer ${maskSecret(KEY)}`)
  })

  it('is masked in the first 64 KiB of a longer body, which still arrives whole', async () => {
    const proxy = await startProxyApp()
    const padding = 'p'.repeat(ERROR_BODY_MAX_BYTES)
    const body = { message: `key ${KEY} refused`, padding, tail: 'the end' }
    proxy.upstream.script({ fault: { kind: 'status', status: 400, body } })
    const response = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: clientHeaders(json),
      body: JSON.stringify(CHAT),
    })
    expect(response.statusCode).toBe(400)
    expect(JSON.parse(await response.body.text())).toEqual({
      ...body,
      message: `key ${maskSecret(KEY)} refused`,
    })
  })

  it('maskQuotedSecret leaves a body without the key as the same buffer', () => {
    const head = Buffer.from('{"message":"busy"}')
    expect(maskQuotedSecret(head, KEY)).toBe(head)
    expect(maskQuotedSecret(Buffer.from(`${KEY}${KEY}中`), KEY).toString()).toBe(
      `${maskSecret(KEY)}${maskSecret(KEY)}中`,
    )
  })
})
