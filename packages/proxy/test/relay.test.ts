import { text } from 'node:stream/consumers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bodyFormat, relayBody, takeWholeAnswer } from '../src/relay.js'
import { handDrivenBody } from './helpers/upstream-body.js'

const usage = { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 }
const delta = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content } }] })}\n\n`
const USAGE_EVENT = `data: ${JSON.stringify({ id: 'c', choices: [], usage })}\n\n`
const STREAM = [
  delta('Hel'),
  delta('lo'),
  ': keep-alive\n\n',
  USAGE_EVENT,
  'data: [DONE]\n\n',
].join('')

/** The key an attempt was sent with: masked wherever a body quotes it. */
const RELAY_SECRET = 'sk-relay-test-key-000000000000000000000001'

function relay(
  chunks: readonly (string | Buffer)[],
  format: 'sse' | 'json' | 'other',
  drop = false,
) {
  let firstBytes = 0
  const upstream = handDrivenBody()
  void upstream.feed(chunks)
  const result = relayBody({
    body: upstream.body,
    format,
    dropUsageEvent: drop,
    signal: new AbortController().signal,
    secret: RELAY_SECRET,
    onFirstByte: () => {
      firstBytes += 1
    },
  })
  return { result, firstBytes: () => firstBytes }
}

/** A relay of a hand-driven upstream body, nothing dropped, for the failure cases. */
function relayOfHand(format: 'sse' | 'other', signal = new AbortController().signal) {
  const upstream = handDrivenBody()
  const result = relayBody({
    body: upstream.body,
    format,
    dropUsageEvent: format === 'sse',
    signal,
    onFirstByte: () => {},
    secret: RELAY_SECRET,
  })
  return { ...upstream, result }
}

async function collect(relayed: ReturnType<typeof relay>) {
  return { text: await text(relayed.result.stream) }
}

function cut(whole: string, cuts: readonly number[]): Buffer[] {
  const bytes = Buffer.from(whole)
  const points = [...new Set(cuts.map((at) => at % (bytes.length + 1)))].sort((a, b) => a - b)
  return [...points, bytes.length].map((point, index, all) =>
    bytes.subarray(index === 0 ? 0 : (all[index - 1] ?? 0), point),
  )
}

describe('bodyFormat', () => {
  it('tells SSE, JSON and other bodies apart', () => {
    expect(bodyFormat('text/event-stream; charset=utf-8')).toBe('sse')
    expect(bodyFormat('application/json')).toBe('json')
    expect(bodyFormat('application/problem+json')).toBe('json')
    expect(bodyFormat('audio/mpeg')).toBe('other')
    expect(bodyFormat(undefined)).toBe('other')
  })
})

describe('relayBody', () => {
  it('removes only the usage-only event when the proxy asked for it, and reads its usage', async () => {
    const { result, firstBytes } = relay([STREAM], 'sse', true)
    expect(await text(result.stream)).toBe(STREAM.replace(USAGE_EVENT, ''))
    expect(result.usage()).toEqual({ promptTokens: 2, completionTokens: 3, totalTokens: 5 })
    expect(result.end()).toEqual({ kind: 'complete' })
    expect(firstBytes()).toBe(1)
  })

  it('passes every byte when the client asked for usage itself', async () => {
    const { result } = relay([STREAM], 'sse', false)
    expect(await text(result.stream)).toBe(STREAM)
    expect(result.usage()?.totalTokens).toBe(5)
  })

  it('any chunking: exactly the stream minus the usage event (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 25 }), async (cuts) => {
        const { result } = relay(cut(STREAM, cuts), 'sse', true)
        expect(await text(result.stream)).toBe(STREAM.replace(USAGE_EVENT, ''))
        expect(result.usage()?.totalTokens).toBe(5)
      }),
    )
  })

  it('reads usage from a JSON answer passed on unchanged', async () => {
    const body = JSON.stringify({ id: 'x', choices: [], usage })
    const { result } = relay(cut(body, [3, 10, 40]), 'json')
    expect(await text(result.stream)).toBe(body)
    expect(result.usage()?.promptTokens).toBe(2)
  })

  it('ends SSE with an error event when the upstream breaks off', async () => {
    const { body, result } = relayOfHand('sse')
    body.data(Buffer.from(`${delta('a')}data: {"half`))
    setImmediate(() => body.fail(Object.assign(new Error('reset'), { code: 'ECONNRESET' })))
    const received = await text(result.stream)
    expect(received).toBe(
      `${delta('a')}data: {"error":{"message":"The upstream answer broke off (connection reset)","type":"server_error","code":"upstream_stream_error"}}\n\n`,
    )
    expect(result.end()).toEqual({
      kind: 'upstream-failed',
      failure: { cause: 'connection_reset', code: 'ECONNRESET' },
    })
  })

  it('fails other bodies when the upstream breaks off, so the answer is cut', async () => {
    const { body, result } = relayOfHand('other')
    body.data(Buffer.from('abc'))
    setImmediate(() =>
      body.fail(Object.assign(new Error('timeout'), { code: 'UND_ERR_BODY_TIMEOUT' })),
    )
    await expect(text(result.stream)).rejects.toMatchObject({ code: 'SFP_UPSTREAM_STREAM_ERROR' })
    expect(result.end()).toEqual({
      kind: 'upstream-failed',
      failure: { cause: 'body_timeout', code: 'UND_ERR_BODY_TIMEOUT' },
    })
  })

  it('stops reading upstream when the client is gone', async () => {
    const client = new AbortController()
    const { body, result } = relayOfHand('other', client.signal)
    body.data(Buffer.from('abc'))
    const reading = text(result.stream).catch(() => 'cut')
    await new Promise((resolve) => setImmediate(resolve))
    client.abort()
    // What the transport does when the client's signal aborts: undici fails the body.
    body.fail(new Error('aborted'))
    expect(await reading).toBe('abc')
    expect(result.end()).toEqual({ kind: 'client-gone' })
  })

  it("holds the client's writes from a chunk to the end of its turn: a last chunk and the end leave together", async () => {
    const upstream = handDrivenBody()
    const held: string[] = []
    const client = { cork: () => held.push('cork'), uncork: () => held.push('uncork') }
    const result = relayBody({
      body: upstream.body,
      format: 'json',
      dropUsageEvent: false,
      signal: new AbortController().signal,
      onFirstByte: () => {},
      secret: RELAY_SECRET,
      client,
    })
    const reading = text(result.stream)
    upstream.body.data(Buffer.from('{"a":'))
    upstream.body.data(Buffer.from('1}'))
    upstream.body.end()
    expect(held).toEqual(['cork'])
    await Promise.resolve()
    expect(held).toEqual(['cork', 'uncork'])
    expect(await reading).toBe('{"a":1}')
  })

  it('aborts the upstream request when its relay is destroyed before the end', async () => {
    const { body, seen, result } = relayOfHand('other')
    body.data(Buffer.from('abc'))
    result.stream.destroy()
    // Its connection is not kept for an unread answer: undici closes it.
    expect(body.destroyed).toBe(true)
    expect(seen.aborted).not.toBeNull()
    expect(result.end()).toEqual({ kind: 'client-gone' })
  })
})

describe('masks the key the attempt was sent with, wherever the body quotes it', () => {
  const masked = `sk-rel${'*'.repeat(RELAY_SECRET.length - 10)}0001`

  it('in a JSON or opaque body, keeping its length', async () => {
    for (const format of ['json', 'other'] as const) {
      const body = `{"echo":"Bearer ${RELAY_SECRET}","again":"${RELAY_SECRET}"}`
      const { text } = await collect(relay([body], format))
      expect(text).toBe(body.replaceAll(RELAY_SECRET, masked))
      expect(Buffer.byteLength(text)).toBe(Buffer.byteLength(body))
    }
  })

  it('across chunk boundaries, in SSE too, however the body is cut', async () => {
    const body = `data: {"quote":"${RELAY_SECRET}"}\n\ndata: [DONE]\n\n`
    for (let cut = 1; cut < body.length; cut += 3) {
      const pieces = [body.slice(0, cut), body.slice(cut, cut + 7), body.slice(cut + 7)]
      for (const format of ['sse', 'other'] as const) {
        const { text } = await collect(relay(pieces, format))
        expect(text).toBe(body.replace(RELAY_SECRET, masked))
      }
    }
  })

  it('holds back nothing when the body only starts like the key', async () => {
    const body = 'ends with sk-rel'
    const { text } = await collect(relay([body], 'other'))
    expect(text).toBe(body)
  })
})

describe('takeWholeAnswer', () => {
  const json = 'application/json'
  function arrived(...chunks: string[]) {
    const upstream = handDrivenBody()
    for (const chunk of chunks) upstream.body.data(Buffer.from(chunk))
    upstream.body.end()
    return upstream.body
  }

  it('takes an answer that came whole: its bytes masked, its usage read', () => {
    const body = `{"echo":"${RELAY_SECRET}","usage":${JSON.stringify(usage)}}`
    const whole = takeWholeAnswer(
      arrived(body.slice(0, 9), body.slice(9)),
      'json',
      json,
      RELAY_SECRET,
    )
    expect(whole?.bytes.toString()).toBe(
      body.replace(RELAY_SECRET, `sk-rel${'*'.repeat(RELAY_SECRET.length - 10)}0001`),
    )
    expect(whole?.usage()).toMatchObject({ promptTokens: 2, completionTokens: 3, totalTokens: 5 })
  })

  it('leaves to the relay what is still arriving, SSE, and an answer without a Content-Type', () => {
    const arriving = handDrivenBody()
    arriving.body.data(Buffer.from('{"a":'))
    expect(takeWholeAnswer(arriving.body, 'json', json, RELAY_SECRET)).toBeNull()
    expect(takeWholeAnswer(arrived(STREAM), 'sse', 'text/event-stream', RELAY_SECRET)).toBeNull()
    expect(takeWholeAnswer(arrived('bytes'), 'other', undefined, RELAY_SECRET)).toBeNull()
    // Nothing was taken: the relay still gets every byte.
    const left = arrived('{"a":1}')
    expect(takeWholeAnswer(left, 'json', undefined, RELAY_SECRET)).toBeNull()
    expect(left.takeArrived()?.toString()).toBe('{"a":1}')
  })
})
